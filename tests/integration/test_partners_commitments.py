"""Partners join a program with a role; commitments are kept by their own partner; refusals for everyone else."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.partners import services
from app.partners.tables import Commitment, CommitmentIndicator, Partner
from tests.factories import api_token, post_form, sign_in
from tests.integration.partners_data import commitment_form, org_ref, partners_world


async def test_staff_add_and_remove_partners_with_roles(client: AsyncTestClient) -> None:
    w = await partners_world(add_partners=False)
    await sign_in(client, w.staff)
    url = f"/staff/programs/{w.program_id}/partners"
    ngo_ref = await org_ref(w.ngo)
    added = await post_form(client, url, {"organization": ngo_ref, "role": "ngo"})
    assert added.status_code == 303
    rows = await Partner.select(Partner.organization, Partner.role).where(Partner.program == w.program_id)
    assert rows == [{"organization": w.ngo.organization_id, "role": "ngo"}]
    again = await post_form(client, url, {"organization": ngo_ref, "role": "buyer"})
    assert again.status_code == 422
    assert "already a partner of the program" in again.text
    bad = await post_form(client, url, {"organization": "nope", "role": "astronaut"})
    assert bad.status_code == 422
    assert "No organisation with the reference: nope." in bad.text
    page = await client.get(url)
    assert f'data-testid="partner-{ngo_ref}">Selva Viva NGO · NGO' in page.text
    partner_id = (await Partner.select(Partner.id).first())["id"]
    removed = await post_form(client, f"/staff/partners/{partner_id}/remove", {})
    assert removed.status_code == 303
    assert await Partner.count() == 0


async def test_partner_users_cannot_manage_partners(client: AsyncTestClient) -> None:
    w = await partners_world()
    await sign_in(client, w.ngo)
    url = f"/staff/programs/{w.program_id}/partners"
    assert (await client.get(url)).status_code == 403
    refused = await post_form(client, url, {"organization": await org_ref(w.outsider), "role": "other"})
    assert refused.status_code == 403
    assert await Partner.count() == 2
    assert (await client.get(f"/staff/programs/{w.program_id}/reporting")).status_code == 403


async def test_partner_records_its_own_commitment(client: AsyncTestClient) -> None:
    w = await partners_world()
    await sign_in(client, w.ngo)
    url = f"/programs/{w.program_id}/commitments"
    empty = await post_form(client, url, {"title": "", "start_date": "2025-12-01", "end_date": "2025-01-01"})
    assert empty.status_code == 422
    assert "Choose at least one indicator the activity serves." in empty.text
    assert "The end date must be on or after the start date." in empty.text
    assert await Commitment.count() == 0
    form = commitment_form(w, responsible_name="", responsible_user=str(w.ngo_colleague.id))
    created = await post_form(client, url, form)
    assert created.status_code == 303
    row = await Commitment.select().first()
    assert (row["organization"], row["title"], row["status"], row["responsible_user"]) == (
        w.ngo.organization_id,
        "Nurseries for rubber seedlings",
        "under_way",
        w.ngo_colleague.id,
    )
    links = await CommitmentIndicator.select(CommitmentIndicator.indicator).order_by(CommitmentIndicator.indicator)
    assert [r["indicator"] for r in links] == sorted([w.computed_id, w.reported_id])
    edited = await post_form(client, f"/commitments/{row['id']}", {**form, "status": "done"})
    assert edited.status_code == 303
    assert (await Commitment.select(Commitment.status).first())["status"] == "done"


async def test_foreign_indicator_and_foreign_user_are_refused(client: AsyncTestClient) -> None:
    w = await partners_world()
    await sign_in(client, w.ngo)
    response = await post_form(
        client,
        f"/programs/{w.program_id}/commitments",
        commitment_form(w, indicators=["999999"], responsible_name="", responsible_user=str(w.buyer.id)),
    )
    assert response.status_code == 422
    assert "Choose indicators of this program." in response.text
    assert "Choose a person of the partner organisation, or type a name." in response.text
    assert await Commitment.count() == 0


async def test_partner_sees_and_edits_only_its_own_commitments(client: AsyncTestClient) -> None:
    w = await partners_world()
    theirs = await services.create_commitment(w.buyer, w.program_id, commitment_form(w, title="Buy certified latex"))
    mine = await services.create_commitment(w.ngo, w.program_id, commitment_form(w))
    await sign_in(client, w.ngo)
    page = await client.get(f"/programs/{w.program_id}/commitments")
    assert page.status_code == 200
    assert f'data-testid="commitment-{mine}"' in page.text
    assert "Buy certified latex" not in page.text
    assert (await client.get(f"/commitments/{theirs}")).status_code == 404
    refused = await post_form(client, f"/commitments/{theirs}", commitment_form(w, title="Taken over"))
    assert refused.status_code == 404
    assert (await Commitment.select(Commitment.title).where(Commitment.id == theirs).first())["title"] == (
        "Buy certified latex"
    )


async def test_non_partner_gets_not_found(client: AsyncTestClient) -> None:
    w = await partners_world()
    mine = await services.create_commitment(w.ngo, w.program_id, commitment_form(w))
    await sign_in(client, w.outsider)
    assert (await client.get(f"/programs/{w.program_id}/commitments")).status_code == 404
    assert (await client.get(f"/commitments/{mine}")).status_code == 404
    refused = await post_form(client, f"/programs/{w.program_id}/commitments", commitment_form(w))
    assert refused.status_code == 404
    assert await Commitment.count() == 1


async def test_staff_see_all_and_create_for_a_partner(client: AsyncTestClient) -> None:
    w = await partners_world()
    await services.create_commitment(w.ngo, w.program_id, commitment_form(w))
    await sign_in(client, w.staff)
    missing = await post_form(client, f"/programs/{w.program_id}/commitments", commitment_form(w, title="X"))
    assert missing.status_code == 422
    assert "Choose one of the program&#39;s partners." in missing.text
    created = await post_form(
        client,
        f"/programs/{w.program_id}/commitments",
        commitment_form(w, title="Buy certified latex", organization=await org_ref(w.buyer)),
    )
    assert created.status_code == 303
    page = await client.get(f"/programs/{w.program_id}/commitments")
    assert "Nurseries for rubber seedlings" in page.text and "Buy certified latex" in page.text
    theirs = (await Commitment.select(Commitment.id).where(Commitment.organization == w.ngo.organization_id).first())[
        "id"
    ]
    edited = await post_form(client, f"/commitments/{theirs}", commitment_form(w, status="dropped"))
    assert edited.status_code == 303
    assert (await Commitment.select(Commitment.status).where(Commitment.id == theirs).first())["status"] == "dropped"


async def test_commitments_api_by_role(client: AsyncTestClient) -> None:
    w = await partners_world()
    mine = await services.create_commitment(w.ngo, w.program_id, commitment_form(w))
    await services.create_commitment(w.buyer, w.program_id, commitment_form(w, title="Buy certified latex"))
    url = f"/api/v1/programs/{w.program_id}/commitments"
    staff = await client.get(url, headers=await api_token(w.staff))
    assert staff.status_code == 200
    assert sorted(c["title"] for c in staff.json()) == ["Buy certified latex", "Nurseries for rubber seedlings"]
    partner = await client.get(url, headers=await api_token(w.ngo))
    assert partner.status_code == 200
    assert partner.json() == [
        {
            "id": mine,
            "program": w.program_id,
            "organization": w.ngo.organization_id,
            "organization-name": "Selva Viva NGO",
            "title": "Nurseries for rubber seedlings",
            "description": "Two community nurseries.",
            "responsible": "Ana Souza",
            "start-date": "2025-07-01",
            "end-date": "2025-12-31",
            "status": "under_way",
            "indicators": sorted([w.computed_id, w.reported_id]),
        }
    ]
    outsider = await client.get(url, headers=await api_token(w.outsider))
    assert outsider.status_code == 404
    assert (await client.get(url)).status_code == 401


async def test_dashboard_links_a_partner_to_its_commitments(client: AsyncTestClient) -> None:
    w = await partners_world()
    await sign_in(client, w.buyer)
    page = await client.get("/dashboard")
    assert f'<a href="/programs/{w.program_id}/commitments" data-testid="partner-program-{w.program_id}">' in page.text
    await sign_in(client, w.outsider)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert 'data-testid="partner-programs"' not in page.text


async def test_a_removed_partner_loses_access(client: AsyncTestClient) -> None:
    w = await partners_world()
    mine = await services.create_commitment(w.ngo, w.program_id, commitment_form(w))
    partner_id = (await Partner.select(Partner.id).where(Partner.organization == w.ngo.organization_id).first())["id"]
    await services.remove_partner(w.staff, partner_id)
    await sign_in(client, w.ngo)
    assert (await client.get(f"/commitments/{mine}")).status_code == 404
    assert (await client.get(f"/programs/{w.program_id}/commitments")).status_code == 404
    assert await Commitment.count() == 1
