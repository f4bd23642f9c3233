"""The agenda's pages and API over HTTP: results page, CSV, IATI-shaped JSON and XML, staff set-up, refusals."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.agenda import services
from app.agenda.tables import Indicator, IndicatorTarget, ReportedValue
from tests.factories import api_token, post_form, sign_in
from tests.integration.agenda_data import Agenda, agenda_world


async def _reported(w: Agenda) -> int:
    """A reported indicator with a baseline, targets in 2025-Q3 and 2025-Q4, approved values (Q4 by country)."""
    indicator_id = await services.create_indicator(
        w.staff,
        w.program_id,
        {
            "name_en": "Hectares under community management",
            "name_es": "Hectáreas bajo manejo comunitario",
            "definition_en": "Forest area the members manage under a plan.",
            "source": "reported",
            "unit": "ha",
            "direction": "increase",
            "disaggregation": "country",
            "baseline_value": "100",
            "baseline_date": "2025-06-30",
            "target_period_0": "2025-Q3",
            "target_value_0": "120",
            "target_period_1": "2025-Q4",
            "target_value_1": "150",
        },
    )
    for period, value, dimension in (("2025-Q3", "125", ""), ("2025-Q4", "90", "MX"), ("2025-Q4", "40", "GT")):
        value_id = await services.create_reported_value(
            w.staff, indicator_id, {"period": period, "value": value, "dimension": dimension}
        )
        await services.move_reported_value(w.staff, value_id, "submit")
        await services.move_reported_value(w.staff, value_id, "approve")
    draft = await services.create_reported_value(w.staff, indicator_id, {"period": "2025-Q4", "value": "999"})
    assert draft
    return indicator_id


async def test_results_page_for_staff_and_members(client: AsyncTestClient) -> None:
    w = await agenda_world()
    indicator_id = await _reported(w)
    await sign_in(client, w.producer)
    page = await client.get(f"/programs/{w.program_id}/results")
    assert page.status_code == 200
    assert "Hectares under community management" in page.text
    assert f'data-testid="on-track-{indicator_id}" data-state="off-track"' in page.text
    assert "only approved reported values count" in page.text.lower()
    assert f'data-testid="actual-{indicator_id}-2025-Q4">130' in page.text
    assert f'href="/api/v1/programs/{w.program_id}/results?format=iati"' in page.text
    assert ">999<" not in page.text  # not shown as a figure (a bare "999" may occur in a random token)
    dashboard = await client.get("/dashboard")
    assert (
        f'href="/programs/{w.program_id}/results" hx-boost="false" data-testid="member-program-{w.program_id}"'
        in dashboard.text
    )


async def test_results_csv_lines(client: AsyncTestClient) -> None:
    w = await agenda_world()
    await _reported(w)
    await sign_in(client, w.named)
    response = await client.get(f"/programs/{w.program_id}/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.split("\r\n") == [
        "Indicator,Unit,Higher is better,Period,Start,End,Target,Target to date,Actual,On track,Breakdown,"
        "Breakdown value",
        "Hectares under community management,ha,yes,2025-Q3,2025-07-01,2025-09-30,120,120,125,yes,,",
        "Hectares under community management,ha,yes,2025-Q4,2025-10-01,2025-12-31,150,150,130,no,,",
        "Hectares under community management,ha,yes,2025-Q4,2025-10-01,2025-12-31,,,40,,country,GT",
        "Hectares under community management,ha,yes,2025-Q4,2025-10-01,2025-12-31,,,90,,country,MX",
        "",
    ]


async def test_results_json_is_shaped_like_iati(client: AsyncTestClient) -> None:
    w = await agenda_world()
    indicator_id = await _reported(w)
    response = await client.get(f"/api/v1/programs/{w.program_id}/results", headers=await api_token(w.producer))
    assert response.status_code == 200
    body = response.json()
    as_of = body.pop("as-of")
    assert len(as_of) == 10
    assert body == {
        "program-id": w.program_id,
        "program-name": "Acre and Durango",
        "on-track-rule": services_rule(),
        "result": [
            {
                "type": "2",
                "title": "Common agenda of Acre and Durango",
                "indicator": [
                    {
                        "id": indicator_id,
                        "title": "Hectares under community management",
                        "description": "Forest area the members manage under a plan.",
                        "measure": "1",
                        "unit": "ha",
                        "ascending": True,
                        "source": "reported",
                        "computed-measure": "",
                        "disaggregation": "country",
                        "baseline": {"year": 2025, "iso-date": "2025-06-30", "value": 100.0},
                        "period": [
                            {
                                "period-start": "2025-07-01",
                                "period-end": "2025-09-30",
                                "label": "2025-Q3",
                                "state": "closed",
                                "target": [{"value": 120.0, "dimension": []}],
                                "actual": [{"value": 125.0, "dimension": []}],
                                "compared-target": 120.0,
                                "on-track": True,
                            },
                            {
                                "period-start": "2025-10-01",
                                "period-end": "2025-12-31",
                                "label": "2025-Q4",
                                "state": "closed",
                                "target": [{"value": 150.0, "dimension": []}],
                                "actual": [
                                    {"value": 130.0, "dimension": []},
                                    {"value": 40.0, "dimension": [{"name": "country", "value": "GT"}]},
                                    {"value": 90.0, "dimension": [{"name": "country", "value": "MX"}]},
                                ],
                                "compared-target": 150.0,
                                "on-track": False,
                            },
                        ],
                        "on-track": False,
                        "trend": "improving",
                    }
                ],
            }
        ],
    }


def services_rule() -> str:
    from app.agenda.results import ON_TRACK_RULE

    return ON_TRACK_RULE


async def test_results_as_iati_xml_and_a_bad_format(client: AsyncTestClient) -> None:
    w = await agenda_world()
    await _reported(w)
    headers = await api_token(w.staff)
    response = await client.get(f"/api/v1/programs/{w.program_id}/results?format=iati", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert '<indicator measure="1" ascending="1">' in response.text
    assert '<baseline year="2025" iso-date="2025-06-30" value="100"/>' in response.text
    assert '<actual value="90"><dimension name="country" value="MX"/></actual>' in response.text
    bad = await client.get(f"/api/v1/programs/{w.program_id}/results?format=pdf", headers=headers)
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"field": "format", "message": "Choose json or iati."}]


async def test_refused_requests(client: AsyncTestClient) -> None:
    w = await agenda_world()
    indicator_id = await _reported(w)
    anonymous = await client.get(f"/api/v1/programs/{w.program_id}/results")
    assert anonymous.status_code == 401
    outsider = await client.get(f"/api/v1/programs/{w.program_id}/results", headers=await api_token(w.outsider))
    assert outsider.status_code == 404
    await sign_in(client, w.buyer)  # MX-JAL: outside the program's MX-DUR
    assert (await client.get(f"/programs/{w.program_id}/results")).status_code == 404
    assert (await client.get(f"/programs/{w.program_id}/results.csv")).status_code == 404
    await client.post("/logout", data={})
    await sign_in(client, w.producer)  # a member, but not staff
    assert (await client.get(f"/staff/programs/{w.program_id}/agenda")).status_code == 403
    created = await post_form(
        client, f"/staff/programs/{w.program_id}/agenda", {"name_en": "Sneaky", "measure": "contacts"}
    )
    assert created.status_code == 403
    value_id = (await ReportedValue.select(ReportedValue.id).where(ReportedValue.status == "draft").first())["id"]
    moved = await post_form(client, f"/staff/agenda/values/{value_id}/submit", {"indicator": str(indicator_id)})
    assert moved.status_code == 403
    deleted = await post_form(client, f"/staff/agenda/indicators/{indicator_id}/delete", {})
    assert deleted.status_code == 403
    assert await Indicator.count() == 1
    assert (await ReportedValue.select(ReportedValue.status).where(ReportedValue.id == value_id).first()) == {
        "status": "draft"
    }


async def test_staff_set_up_with_inline_errors(client: AsyncTestClient) -> None:
    w = await agenda_world()
    await sign_in(client, w.staff)
    programs = await client.get("/staff/programs")
    assert f'href="/programs/{w.program_id}/results"' in programs.text
    form = await client.get(f"/staff/programs/{w.program_id}/agenda/new")
    assert form.status_code == 200
    bad = await post_form(
        client,
        f"/staff/programs/{w.program_id}/agenda",
        {
            "name_en": "Contacts",
            "source": "computed",
            "measure": "contacts",
            "direction": "increase",
            "target_period_0": "Q3",
            "target_value_0": "4",
        },
    )
    assert bad.status_code == 422
    assert (
        'id="f-target_period_0-error" aria-live="polite">Enter a quarter such as 2026-Q3 or a year such as 2026.'
        in bad.text
    )
    assert 'value="Q3"' in bad.text
    assert await Indicator.count() == 0
    good = await post_form(
        client,
        f"/staff/programs/{w.program_id}/agenda",
        {
            "name_en": "Contacts",
            "source": "computed",
            "measure": "contacts",
            "direction": "increase",
            "target_period_0": "2025-Q3",
            "target_value_0": "4",
            "target_period_1": "2025",
            "target_value_1": "20",
        },
    )
    assert good.status_code == 303
    assert good.headers["location"] == f"/staff/programs/{w.program_id}/agenda?done=created"
    row = await Indicator.select(Indicator.id, Indicator.unit, Indicator.measure).first()
    assert (row["unit"], row["measure"]) == ("conversations", "contacts")
    assert await IndicatorTarget.count().where(IndicatorTarget.indicator == row["id"]) == 2
    listed = await client.get(f"/staff/programs/{w.program_id}/agenda")
    assert f'data-testid="indicator-row-{row["id"]}"' in listed.text


async def test_reported_values_through_the_api(client: AsyncTestClient) -> None:
    w = await agenda_world()
    indicator_id = await _reported(w)
    staff = await api_token(w.staff)
    url = f"/api/v1/indicators/{indicator_id}/reported-values"
    bad = await client.post(url, json={"period": "2026-Q9", "value": "mucho", "dimension": "ZZ"}, headers=staff)
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "period", "message": "Enter a quarter such as 2026-Q3 or a year such as 2026."},
        {"field": "dimension", "message": "Not a value of this breakdown; leave it empty for the total."},
        {"field": "value", "message": "Enter a number."},
    ]
    created = await client.post(
        url,
        json={"period": "2026-Q1", "value": 12.5, "dimension": "br", "organization": w.named.organization_ref},
        headers=staff,
    )
    assert created.status_code == 201
    body = created.json()
    value_id = body.pop("id")
    assert body == {
        "indicator": indicator_id,
        "period": "2026-Q1",
        "period-start": "2026-01-01",
        "period-end": "2026-03-31",
        "dimension": "BR",
        "value": 12.5,
        "status": "draft",
        "comment": "",
        "organization": w.named.organization_id,
    }
    status_url = f"/api/v1/reported-values/{value_id}/status"
    early = await client.post(status_url, json={"action": "approve"}, headers=staff)
    assert early.status_code == 400
    assert early.json()["errors"] == [
        {"field": "action", "message": "This value is Draft: it cannot be moved that way."}
    ]
    assert (await client.post(status_url, json={"action": "submit"}, headers=staff)).json()["status"] == "submitted"
    no_comment = await client.post(status_url, json={"action": "return"}, headers=staff)
    assert no_comment.json()["errors"] == [{"field": "comment", "message": "Say what should be corrected."}]
    returned = await client.post(status_url, json={"action": "return", "comment": "Which plots?"}, headers=staff)
    assert (returned.json()["status"], returned.json()["comment"]) == ("returned", "Which plots?")
    # A member organisation's user may not enter or move values yet (a later piece lets partners submit them).
    member = await api_token(w.producer)
    assert (await client.post(url, json={"period": "2026-Q1", "value": 1}, headers=member)).status_code == 403
    assert (await client.post(status_url, json={"action": "submit"}, headers=member)).status_code == 403
    assert (
        await client.post(f"/api/v1/reported-values/{value_id + 99}/status", json={"action": "submit"}, headers=staff)
    ).status_code == 404
    row = (
        await ReportedValue.select(ReportedValue.status, ReportedValue.organization)
        .where(ReportedValue.id == value_id)
        .first()
    )
    assert row == {"status": "returned", "organization": w.named.organization_id}
