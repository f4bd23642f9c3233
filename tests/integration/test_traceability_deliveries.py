"""Collectors' deliveries: the form at the scale (errors inline, values kept, the same form sent twice saves once),
the idempotent API (201 / 200 / 409 / 422), the day's list, and every refusal."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from app.accounts import services as accounts
from app.imports.services import import_document
from app.traceability.tables import Delivery
from tests.clock import today
from tests.factories import PASSWORD, api_token, make_user, post_form, sign_in
from tests.integration.test_traceability_import import trace_doc

REF = "3f1c9a52-7d0e-4c1b-9a57-0c2d4e6f8a10"


async def collector(email: str = "balanca@usina-rio.example.org", org: str = "usina-rio") -> Any:
    await import_document(trace_doc())
    return await accounts.create_user(email=email, password=PASSWORD, role="producer", organization_ref=org)


def form(**overrides: Any) -> dict[str, Any]:
    data = {"ref": REF, "member": "A-001 · Maria Souza", "plot": "p-1", "date": today().isoformat(),
            "form": "field_latex", "wet_kg": "100", "drc_percent": "32,5", "dry_kg": ""}  # fmt: skip
    return {**data, **overrides}


async def stored(ref: str = REF) -> dict[str, Any] | None:
    return (
        await Delivery.select(
            Delivery.collector.ref.as_alias("collector"),
            Delivery.member.ref.as_alias("member"),
            Delivery.plot.ref.as_alias("plot"),
            Delivery.date,
            Delivery.form,
            Delivery.wet_kg,
            Delivery.drc_percent,
            Delivery.dry_kg,
        )
        .where(Delivery.ref == ref)
        .first()
    )


async def test_the_form_lists_the_members_and_their_plots(client) -> None:
    await sign_in(client, await collector())
    page = await client.get("/traceability/deliveries/new")
    assert page.status_code == 200
    assert '<option value="A-001 · Maria Souza" data-ref="m-1" data-code="A-001"></option>' in page.text
    assert '"m-1": [["p-1", "p-1 (121.3 ha)"]]' in page.text
    assert f'id="f-date" name="date" type="date" value="{dt.date.today().isoformat()}"' in page.text
    ref = re.search(r'name="ref" id="f-ref" value="([^"]+)"', page.text)
    assert ref is not None and len(ref.group(1)) == 36


async def test_saving_the_same_form_twice_makes_one_delivery(client) -> None:
    await sign_in(client, await collector())
    first = await post_form(client, "/traceability/deliveries/new", form())
    assert first.status_code == 303
    assert first.headers["location"] == f"/traceability/deliveries/new?saved={REF}"
    again = await post_form(client, "/traceability/deliveries/new", form())
    assert again.status_code == 303
    assert again.headers["location"] == f"/traceability/deliveries/new?saved={REF}"
    assert await Delivery.count().where(Delivery.ref == REF) == 1
    assert await stored() == {"collector": "usina-rio", "member": "m-1", "plot": "p-1", "date": today(),
                              "form": "field_latex", "wet_kg": 100.0, "drc_percent": 32.5, "dry_kg": None}  # fmt: skip
    page = await client.get(first.headers["location"])
    assert 'data-testid="delivery-saved"' in page.text
    assert f"Saved: 32.5 kg dry from A-001 (ref {REF})." in page.text


async def test_the_same_ref_with_other_content_is_refused_and_nothing_changes(client) -> None:
    await sign_in(client, await collector())
    assert (await post_form(client, "/traceability/deliveries/new", form())).status_code == 303
    other = await post_form(client, "/traceability/deliveries/new", form(wet_kg="250"))
    assert other.status_code == 409
    assert f"A different delivery was already saved under ref {REF}." in other.text
    assert (await stored())["wet_kg"] == 100.0


async def test_bad_input_is_refused_inline_with_the_values_kept(client) -> None:
    await sign_in(client, await collector())
    before = await Delivery.count()
    page = await post_form(client, "/traceability/deliveries/new", form(member="Z-999", wet_kg="abc", drc_percent=""))
    assert page.status_code == 422
    assert '<p class="field-error" id="f-member-error" aria-live="polite">No member with this code, name or ref.' in (
        page.text
    )
    assert '<p class="field-error" id="f-wet_kg-error" aria-live="polite">Enter a number.</p>' in page.text
    assert 'value="abc"' in page.text
    assert 'value="Z-999"' in page.text
    assert await Delivery.count() == before

    missing = await post_form(client, "/traceability/deliveries/new", form(wet_kg="", drc_percent=""))
    assert missing.status_code == 422
    assert "Give dry_kg, or wet_kg with drc_percent." in missing.text
    assert await Delivery.count() == before


async def test_without_javascript_the_plot_comes_on_a_second_step(client) -> None:
    await sign_in(client, await collector())
    page = await post_form(client, "/traceability/deliveries/new", form(member="A-002", plot=""))
    assert page.status_code == 422
    assert '<p class="field-error" id="f-plot-error" aria-live="polite">Choose the plot the latex came from.</p>' in (
        page.text
    )
    assert '<option value="p-2">p-2 (2.5 ha)</option>' in page.text
    wrong = await post_form(client, "/traceability/deliveries/new", form(member="A-002", plot="p-1"))
    assert wrong.status_code == 422
    assert "Plot p-1 is not one of this member&#39;s plots." in wrong.text
    done = await post_form(client, "/traceability/deliveries/new", form(member="A-002", plot="p-2"))
    assert done.status_code == 303
    assert (await stored())["member"] == "m-2"


async def test_an_unusual_drc_is_stored_with_a_warning(client) -> None:
    await sign_in(client, await collector())
    response = await post_form(client, "/traceability/deliveries/new", form(drc_percent="60"))
    assert response.status_code == 303
    assert (await stored())["drc_percent"] == 60.0
    page = await client.get(response.headers["location"])
    assert "A DRC of 60.0 % is unusual for this form (usually 20-45 %)." in page.text


async def test_the_api_is_idempotent_on_the_ref(client) -> None:
    headers = await api_token(await collector())
    body = {"ref": REF, "member": "A-001", "plot": "p-1", "date": today().isoformat(), "form": "cup_lump",
            "dry_kg": 42.5}  # fmt: skip
    created = await client.post("/api/v1/deliveries", json=body, headers=headers)
    assert created.status_code == 201
    expected = {"ref": REF, "collector": "usina-rio", "member": "m-1", "plot": "p-1", "date": today().isoformat(),
                "form": "cup_lump", "wet_kg": None, "drc_percent": None, "dry_kg": 42.5, "warnings": []}  # fmt: skip
    assert created.json() == expected
    again = await client.post("/api/v1/deliveries", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == expected
    conflict = await client.post("/api/v1/deliveries", json={**body, "dry_kg": 43}, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["detail"].startswith(f"A different delivery was already saved under ref {REF}.")
    assert await Delivery.count().where(Delivery.ref == REF) == 1
    assert (await stored())["dry_kg"] == 42.5

    bad = await client.post(
        "/api/v1/deliveries", json={**body, "ref": "x y", "dry_kg": "lots", "form": "sheet"}, headers=headers
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"ref", "dry_kg", "form"}
    assert await Delivery.count().where(Delivery.collector.ref == "usina-rio") == 4  # three imported and ours


async def test_the_api_warns_of_an_unusual_drc_and_stores_it(client) -> None:
    headers = await api_token(await collector())
    body = {"ref": REF, "member": "m-1", "plot": "p-1", "date": today().isoformat(), "form": "field_latex",
            "wet_kg": "200", "drc_percent": "12"}  # fmt: skip
    created = await client.post("/api/v1/deliveries", json=body, headers=headers)
    assert created.status_code == 201
    assert created.json()["dry_kg"] == 24.0
    assert [w["field"] for w in created.json()["warnings"]] == ["drc_percent"]


async def test_only_collectors_record_deliveries(client) -> None:
    await import_document(trace_doc())
    body = {"ref": REF, "member": "A-001", "plot": "p-1", "date": today().isoformat(), "form": "cup_lump",
            "dry_kg": 4}  # fmt: skip
    anonymous = await client.post("/api/v1/deliveries", json=body)
    assert anonymous.status_code == 403  # no session's CSRF header
    unknown = await client.post("/api/v1/deliveries", json=body, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    for role in ("buyer", "producer"):  # a producer without a group certificate does not collect
        user = await make_user(role)
        response = await client.post("/api/v1/deliveries", json=body, headers=await api_token(user))
        assert response.status_code == 404
        await sign_in(client, user)
        assert (await client.get("/traceability/deliveries/new")).status_code == 404
        assert (await client.get("/traceability/deliveries")).status_code == 404
        assert (await post_form(client, "/traceability/deliveries/new", form())).status_code == 404
    assert await Delivery.count().where(Delivery.ref == REF) == 0


async def test_a_group_collects_for_its_own_members(client) -> None:
    manager = await collector("gestor@coop-acre.example.org", "coop-acre")
    await sign_in(client, manager)
    page = await client.get("/traceability/deliveries/new")
    assert '<option value="A-002 · João Lima" data-ref="m-2" data-code="A-002"></option>' in page.text
    response = await post_form(client, "/traceability/deliveries/new", form())
    assert response.status_code == 303
    assert (await stored())["collector"] == "coop-acre"
    # Another collector's delivery is not shown to the group, even by its ref.
    assert (await client.get("/traceability/deliveries/new?saved=del-1")).status_code == 404


async def test_the_days_list_totals_dry_kg_by_form_and_shows_only_ones_own(client) -> None:
    headers = await api_token(await collector())
    day = today().isoformat()
    for ref, kind, kg in (("d-a", "cup_lump", 10), ("d-b", "cup_lump", 2.5), ("d-c", "field_latex", 7)):
        body = {"ref": ref, "member": "m-1", "plot": "p-1", "date": day, "form": kind, "dry_kg": kg}
        assert (await client.post("/api/v1/deliveries", json=body, headers=headers)).status_code == 201
    other = await accounts.create_user(
        email="gestor@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )
    body = {"ref": "d-other", "member": "m-1", "plot": "p-1", "date": day, "form": "cup_lump", "dry_kg": 99}
    assert (await client.post("/api/v1/deliveries", json=body, headers=await api_token(other))).status_code == 201

    await sign_in(client, await accounts.authenticate("balanca@usina-rio.example.org", PASSWORD))
    page = await client.get(f"/traceability/deliveries?date={day}")
    assert page.status_code == 200
    assert page.text.count('data-testid="delivery-row"') == 3
    assert '<dd data-testid="total-cup_lump">12.5 kg dry</dd>' in page.text
    assert '<dd data-testid="total-field_latex">7 kg dry</dd>' in page.text
    assert '<dd data-testid="total-all">19.5 kg dry</dd>' in page.text
    assert 'value="d-other"' not in page.text
    earlier = await client.get("/traceability/deliveries?date=2001-01-01")
    assert 'data-testid="no-deliveries"' in earlier.text
    bad = await client.get("/traceability/deliveries?date=yesterday")
    assert bad.status_code == 422
    assert "Enter a date as YYYY-MM-DD." in bad.text

    await sign_in(client, await make_user("staff"))
    staff = await client.get(f"/traceability/deliveries?date={day}")
    assert staff.text.count('data-testid="delivery-row"') == 4
