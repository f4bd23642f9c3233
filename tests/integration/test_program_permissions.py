"""Issue 13's permission rules, each proven by the refused request and its exact status, pages and API alike:

* a partner sees and edits only its own commitments, progress updates, evidence and reported values (another
  partner's: 404, as if they did not exist; staff-only moves on its own: 403);
* members see only their programs: another program's results (page, CSV, JSON, IATI-XML), updates (list, page,
  comment, API), report (page and PDF) and commitments answer 404, while their own program answers 200.

Each test ends by checking that the refused writes changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.testing import AsyncTestClient

from app.agenda.tables import ReportedValue, ReportedValueStep
from app.analytics.tables import ProgramOrganization
from app.bulletins.tables import UpdateComment
from app.partners import services, updates
from app.partners.tables import Commitment, EvidenceFile, ProgressUpdate
from tests.bulletins_data import post
from tests.factories import api_token, post_form, sign_in
from tests.integration.agenda_data import make_program
from tests.integration.partners_data import World, commitment_form, org_ref, partners_world


@dataclass
class Two:
    w: World  # program P1 with partners A (ngo) and B (buyer)
    commitment_a: int
    update_a: int
    file_a: int
    value_a: int
    commitment_b: int
    value_b: int


async def _two_partners() -> Two:
    w = await partners_world()
    commitment_a = await services.create_commitment(w.ngo, w.program_id, commitment_form(w))
    update_a = await updates.create_update(
        w.ngo,
        commitment_a,
        {"period": "2025-Q3", "narrative": "Nursery one built."},
        [updates.evidence.Upload("nursery.txt", b"seedlings")],
        submit=True,
    )
    file_a = (await EvidenceFile.select(EvidenceFile.id).first())["id"]
    value_a = await updates.report_value(
        w.ngo, w.program_id, {"indicator": str(w.reported_id), "period": "2025-Q4", "value": "30"}, submit=True
    )
    commitment_b = await services.create_commitment(
        w.buyer, w.program_id, commitment_form(w, title="Buy certified latex", indicators=[str(w.reported_id)])
    )
    value_b = await updates.report_value(
        w.buyer, w.program_id, {"indicator": str(w.reported_id), "period": "2025-Q4", "value": "42"}
    )
    return Two(w, commitment_a, update_a, file_a, value_a, commitment_b, value_b)


async def _snapshot() -> tuple[list[dict[str, object]], ...]:
    commitments = await Commitment.select(Commitment.id, Commitment.title, Commitment.organization).order_by(
        Commitment.id
    )
    progress = await ProgressUpdate.select(ProgressUpdate.id, ProgressUpdate.status, ProgressUpdate.narrative)
    values = await ReportedValue.select(ReportedValue.id, ReportedValue.status, ReportedValue.value).order_by(
        ReportedValue.id
    )
    steps = await ReportedValueStep.select(ReportedValueStep.id).order_by(ReportedValueStep.id)
    return commitments, progress, values, steps


async def test_a_partner_cannot_see_or_edit_another_partners_commitments_updates_and_values(
    client: AsyncTestClient,
) -> None:
    t = await _two_partners()
    w = t.w
    before = await _snapshot()
    await sign_in(client, w.buyer)

    # Partner A's commitment, progress update, evidence and value do not exist for partner B.
    assert (await client.get(f"/commitments/{t.commitment_a}")).status_code == 404
    edit = commitment_form(w, title="Taken over")
    assert (await post_form(client, f"/commitments/{t.commitment_a}", edit)).status_code == 404
    new_update = {"period": "2025-Q4", "narrative": "Posted on A's behalf", "action": "submit"}
    assert (await post_form(client, f"/commitments/{t.commitment_a}/updates", new_update)).status_code == 404
    correct = {f"narrative_{t.update_a}": "Rewritten by B"}
    assert (await post_form(client, f"/progress-updates/{t.update_a}/correct", correct)).status_code == 404
    for action in ("submit", "approve", "return"):
        moved = await post_form(client, f"/progress-updates/{t.update_a}/{action}", {f"comment_{t.update_a}": "x"})
        assert moved.status_code == 404, action
    assert (await client.get(f"/evidence/{t.file_a}")).status_code == 404
    changed = {f"value_{t.value_a}": "1", "then": "submit"}
    assert (await post_form(client, f"/partner-values/{t.value_a}/correct", changed)).status_code == 404
    assert (await post_form(client, f"/partner-values/{t.value_a}/submit", {})).status_code == 404

    # B's own list shows its commitment and value, never A's; the API says the same.
    page = await client.get(f"/programs/{w.program_id}/commitments")
    assert page.status_code == 200
    assert f'data-testid="commitment-{t.commitment_b}"' in page.text
    assert f'data-testid="commitment-{t.commitment_a}"' not in page.text
    assert f'data-testid="partner-value-{t.value_b}"' in page.text
    assert f'data-testid="partner-value-{t.value_a}"' not in page.text
    token = await api_token(w.buyer)
    listed = await client.get(f"/api/v1/programs/{w.program_id}/commitments", headers=token)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [t.commitment_b]

    # Staff's review pages and the values API stay closed to partners, whoever's value it is.
    assert (await client.get(f"/staff/agenda/indicators/{w.reported_id}/values")).status_code == 403
    for value_id in (t.value_a, t.value_b):
        assert (await post_form(client, f"/staff/agenda/values/{value_id}/approve", {})).status_code == 403
        assert (await post_form(client, f"/staff/agenda/values/{value_id}/correct", {"value": "1"})).status_code == 403
        moved = await client.post(
            f"/api/v1/reported-values/{value_id}/status", json={"action": "approve"}, headers=token
        )
        assert moved.status_code == 403
    created = await client.post(
        f"/api/v1/indicators/{w.reported_id}/reported-values", json={"period": "2025-Q4", "value": 5}, headers=token
    )
    assert created.status_code == 403

    assert await _snapshot() == before


async def test_a_partner_cannot_approve_its_own_update_or_value(client: AsyncTestClient) -> None:
    t = await _two_partners()
    before = await _snapshot()
    await sign_in(client, t.w.ngo)
    assert (await post_form(client, f"/progress-updates/{t.update_a}/approve", {})).status_code == 403
    assert (await post_form(client, f"/staff/agenda/values/{t.value_a}/approve", {})).status_code == 403
    moved = await client.post(
        f"/api/v1/reported-values/{t.value_a}/status", json={"action": "approve"}, headers=await api_token(t.w.ngo)
    )
    assert moved.status_code == 403
    assert await _snapshot() == before


async def test_a_member_of_another_program_is_refused_everything_of_this_one(client: AsyncTestClient) -> None:
    t = await _two_partners()
    w = t.w
    # The outsider's organisation is a member and a partner of another program only.
    other = await make_program("Other program")
    await ProgramOrganization.insert(ProgramOrganization(program=other, organization=w.outsider.organization_id))
    await services.add_partner(w.staff, other, {"organization": await org_ref(w.outsider), "role": "ngo"})
    update_p1 = await post(w.staff, w.program_id, title="Only for Rubber partners")
    update_other = await post(w.staff, other, title="For the other program")
    before = await _snapshot()
    await sign_in(client, w.outsider)
    token = await api_token(w.outsider)
    p1 = w.program_id

    refused_gets = [
        f"/programs/{p1}/results",
        f"/programs/{p1}/results.csv",
        f"/programs/{p1}/results?print=1",
        f"/programs/{p1}/report",
        f"/programs/{p1}/report?period=2025-Q4",
        f"/programs/{p1}/report.pdf",
        f"/programs/{p1}/commitments",
        f"/programs/updates/{update_p1}",
        f"/programs/updates?program={p1}",
        f"/commitments/{t.commitment_a}",
    ]
    for url in refused_gets:
        assert (await client.get(url)).status_code == 404, url
    for url in (
        f"/api/v1/programs/{p1}/results",
        f"/api/v1/programs/{p1}/results?format=iati",
        f"/api/v1/programs/{p1}/updates",
        f"/api/v1/programs/{p1}/commitments",
    ):
        assert (await client.get(url, headers=token)).status_code == 404, url
    comment = await post_form(client, f"/programs/updates/{update_p1}/comments", {"body": "Hola"})
    assert comment.status_code == 404
    commitment = await post_form(client, f"/programs/{p1}/commitments", commitment_form(w, title="Sneaked in"))
    assert commitment.status_code == 404
    value = {"indicator": str(w.reported_id), "period": "2025-Q4", "value": "99", "action": "submit"}
    assert (await post_form(client, f"/programs/{p1}/values", value)).status_code == 404

    # Its own program answers: the refusals above are about the program, not about the user.
    for url in (
        f"/programs/{other}/results",
        f"/programs/{other}/report",
        f"/programs/{other}/commitments",
        f"/programs/updates/{update_other}",
        f"/programs/updates?program={other}",
    ):
        assert (await client.get(url)).status_code == 200, url
    for url in (f"/api/v1/programs/{other}/results", f"/api/v1/programs/{other}/updates"):
        assert (await client.get(url, headers=token)).status_code == 200, url
    listing = await client.get("/programs/updates")
    assert f"update-link-{update_other}" in listing.text
    assert f"update-link-{update_p1}" not in listing.text

    assert await _snapshot() == before
    assert await UpdateComment.count() == 0


async def test_the_results_link_is_offered_to_partners_who_may_read_the_results(client: AsyncTestClient) -> None:
    w = await partners_world()
    # Partner A's organisation is also a member (named by the program); partner B is a partner only.
    await ProgramOrganization.insert(ProgramOrganization(program=w.program_id, organization=w.ngo.organization_id))
    await sign_in(client, w.ngo)
    page = await client.get(f"/programs/{w.program_id}/commitments")
    assert 'data-testid="commitments-results"' in page.text
    assert (await client.get(f"/programs/{w.program_id}/results")).status_code == 200
    await sign_in(client, w.buyer)
    page = await client.get(f"/programs/{w.program_id}/commitments")
    assert page.status_code == 200
    assert 'data-testid="commitments-results"' not in page.text
    assert (await client.get(f"/programs/{w.program_id}/results")).status_code == 404
