"""Which collectors find a group's members: only those the group linked (or the import vouched for by their
deliveries). Every refusal is a request that fails, and nothing is written."""

from __future__ import annotations

from typing import Any

from app.accounts import services as accounts
from app.imports.services import import_document
from app.traceability.tables import CollectorLink, Delivery
from tests.clock import today
from tests.factories import PASSWORD, api_token, make_user, post_form, sign_in
from tests.integration.test_traceability_import import trace_doc

REF = "0b6d2a1e-5c7f-4e8a-9d3b-1f2e3a4b5c6d"


def with_stranger() -> dict[str, Any]:
    """The import's world plus a collector that never received the group's latex."""
    doc = trace_doc()
    doc["organizations"].append(
        {
            "ref": "usina-norte",
            "name": "Usina Norte",
            "kind": "collector",
            "country": "BR",
            "lat": -9.5,
            "lon": -68.1,
            "region": "BR-AC",
        }  # fmt: skip
    )
    return doc


async def stranger() -> Any:
    await import_document(with_stranger())
    return await accounts.create_user(
        email="balanca@usina-norte.example.org", password=PASSWORD, role="producer", organization_ref="usina-norte"
    )


async def manager() -> Any:
    return await accounts.create_user(
        email="gestora@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )


def form(member: str, plot: str = "p-1") -> dict[str, Any]:
    return {"ref": REF, "member": member, "plot": plot, "date": today().isoformat(), "form": "cup_lump",
            "wet_kg": "", "drc_percent": "", "dry_kg": "12"}  # fmt: skip


async def links() -> list[tuple[str, str]]:
    rows = await CollectorLink.select(
        CollectorLink.group.ref.as_alias("g"), CollectorLink.collector.ref.as_alias("c")
    ).order_by(CollectorLink.id)
    return [(r["g"], r["c"]) for r in rows]


async def test_the_import_links_the_collector_its_deliveries_name_and_only_that_one(client) -> None:
    await import_document(with_stranger())
    assert await links() == [("coop-acre", "usina-rio")]


async def test_an_unlinked_collector_finds_no_member_of_the_group_whatever_it_types(client) -> None:
    user = await stranger()
    await sign_in(client, user)
    page = await client.get("/traceability/deliveries/new")
    assert page.status_code == 200
    assert "Maria Souza" not in page.text
    assert '"m-1"' not in page.text
    for typed in ("m-1", "A-001", "Maria Souza", "A-001 · Maria Souza", "maria souza"):
        response = await post_form(client, "/traceability/deliveries/new", form(typed))
        assert response.status_code == 422, typed
        assert "No member with this code, name or ref." in response.text
        assert "p-1 (121.3 ha)" not in response.text  # the member's plots are not listed either
    body = {"ref": REF, "member": "m-1", "plot": "p-1", "date": today().isoformat(), "form": "cup_lump", "dry_kg": 4}
    api = await client.post("/api/v1/deliveries", json=body, headers=await api_token(user))
    assert api.status_code == 422
    assert [e["field"] for e in api.json()["errors"]] == ["member"]
    assert await Delivery.count().where(Delivery.ref == REF) == 0


async def test_the_group_links_a_collector_which_then_records_and_unlinks_it_again(client) -> None:
    collector = await stranger()
    gestora = await manager()
    await sign_in(client, gestora)
    page = await client.get("/traceability/collectors")
    assert page.status_code == 200
    assert '<option value="usina-norte · Usina Norte"></option>' in page.text
    assert 'data-testid="linked-usina-rio"' in page.text
    assert "2 deliveries of your members recorded" in page.text
    added = await post_form(client, "/traceability/collectors", {"collector": "usina-norte · Usina Norte"})
    assert added.status_code == 303
    assert added.headers["location"] == "/traceability/collectors?added=1"
    assert await links() == [("coop-acre", "usina-rio"), ("coop-acre", "usina-norte")]
    again = await post_form(client, "/traceability/collectors", {"collector": "usina-norte"})
    assert again.status_code == 303
    assert len(await links()) == 2

    await sign_in(client, collector)
    assert (await post_form(client, "/traceability/deliveries/new", form("A-001"))).status_code == 303
    assert await Delivery.count().where(Delivery.ref == REF) == 1

    await sign_in(client, gestora)
    removed = await post_form(client, "/traceability/collectors/usina-norte/remove", {})
    assert removed.status_code == 303
    assert removed.headers["location"] == "/traceability/collectors?removed=1"
    assert await links() == [("coop-acre", "usina-rio")]

    await sign_in(client, collector)
    refused = await post_form(client, "/traceability/deliveries/new", {**form("A-002", "p-2"), "ref": "other-ref"})
    assert refused.status_code == 422
    # What it recorded stays its own to read.
    day = await client.get(f"/traceability/deliveries?date={today().isoformat()}")
    assert REF in day.text


async def test_a_typed_organisation_that_does_not_collect_is_refused_inline(client) -> None:
    await stranger()
    buyer = await make_user("buyer")
    await sign_in(client, await manager())
    for typed in ("nobody-here", buyer.organization_ref, ""):
        response = await post_form(client, "/traceability/collectors", {"collector": typed})
        assert response.status_code == 422, typed
        assert '<p class="field-error" id="f-collector-error" aria-live="polite">No collector with this ref or' in (
            response.text
        )
    assert await links() == [("coop-acre", "usina-rio")]


async def test_only_the_groups_managers_and_staff_manage_its_collectors(client) -> None:
    collector = await stranger()
    for user in (collector, await make_user("buyer"), await make_user("producer")):
        await sign_in(client, user)
        assert (await client.get("/traceability/collectors")).status_code == 404
        assert (await client.get("/traceability/collectors?group=coop-acre")).status_code == 404
        assert (await post_form(client, "/traceability/collectors?group=coop-acre",
                                {"collector": "usina-norte"})).status_code == 404  # fmt: skip
        removal = await post_form(client, "/traceability/collectors/usina-rio/remove?group=coop-acre", {})
        assert removal.status_code == 404
    assert await links() == [("coop-acre", "usina-rio")]
    client.cookies.clear()
    anonymous = await client.get("/traceability/collectors", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")

    staff = await make_user("staff")
    await sign_in(client, staff)
    assert (await client.get("/traceability/collectors")).status_code == 404  # staff name the group
    page = await client.get("/traceability/collectors?group=coop-acre")
    assert page.status_code == 200
    added = await post_form(client, "/traceability/collectors?group=coop-acre", {"collector": "usina-norte"})
    assert added.headers["location"] == "/traceability/collectors?group=coop-acre&added=1"
    assert await links() == [("coop-acre", "usina-rio"), ("coop-acre", "usina-norte")]
