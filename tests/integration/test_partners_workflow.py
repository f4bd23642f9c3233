"""Progress updates and partner-reported values: draft -> submitted -> returned -> corrected -> approved, who and
when at each step, notifications both ways, evidence, and the refusals."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.agenda.tables import ReportedValue, ReportedValueStep
from app.notifications.tables import Notification
from app.partners import services, updates
from app.partners.tables import EvidenceFile, ProgressUpdate, ProgressUpdateStep
from tests.factories import csrf_token, post_form, sign_in
from tests.integration.partners_data import World, commitment_form, partners_world


async def _kinds(user_id: int) -> list[str]:
    rows = (
        await Notification.select(Notification.kind).where(Notification.recipient == user_id).order_by(Notification.id)
    )
    return [r["kind"] for r in rows]


async def _setup() -> tuple[World, int]:
    w = await partners_world()
    return w, await services.create_commitment(w.ngo, w.program_id, commitment_form(w))


async def test_update_returned_corrected_and_approved(client: AsyncTestClient) -> None:
    w, commitment_id = await _setup()
    await sign_in(client, w.ngo)
    await client.get("/")
    created = await client.post(
        f"/commitments/{commitment_id}/updates",
        data={
            "_csrf_token": csrf_token(client),
            "period": "2025-Q3",
            "narrative": "Nursery one built.",
            "value": "1",
            "links": "https://example.org/photos",
            "action": "submit",
        },
        files={"files": ("report.pdf", b"%PDF-1.4 nursery", "application/pdf")},
    )
    assert created.status_code == 303
    row = await ProgressUpdate.select().first()
    assert (row["status"], row["submitted_by"], row["links"]) == ("submitted", w.ngo.id, "https://example.org/photos")
    assert row["first_submitted_at"] is not None
    assert await _kinds(w.staff.id) == ["partner_submitted"]
    file_row = await EvidenceFile.select().first()
    assert (file_row["filename"], file_row["size"]) == ("report.pdf", 16)
    download = await client.get(f"/evidence/{file_row['id']}")
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4 nursery"
    assert download.headers["content-disposition"] == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    # The partner cannot approve its own update.
    refused = await post_form(client, f"/progress-updates/{row['id']}/approve", {})
    assert refused.status_code == 403
    assert (await ProgressUpdate.select(ProgressUpdate.status).first())["status"] == "submitted"

    await sign_in(client, w.staff)
    no_comment = await post_form(client, f"/progress-updates/{row['id']}/return", {f"comment_{row['id']}": " "})
    assert no_comment.status_code == 422
    assert "Say what should be corrected." in no_comment.text
    returned = await post_form(
        client, f"/progress-updates/{row['id']}/return", {f"comment_{row['id']}": "Add the nursery's capacity."}
    )
    assert returned.status_code == 303
    assert await _kinds(w.ngo.id) == ["partner_returned"]
    assert await _kinds(w.ngo_colleague.id) == ["partner_returned"]
    assert await _kinds(w.buyer.id) == []

    await sign_in(client, w.ngo)
    page = await client.get(f"/commitments/{commitment_id}")
    assert f'data-testid="update-comment-{row["id"]}">Returned: Add the nursery&#39;s capacity.' in page.text
    corrected = await post_form(
        client,
        f"/progress-updates/{row['id']}/correct",
        {
            f"narrative_{row['id']}": "Nursery one built: 5000 seedlings.",
            f"value_{row['id']}": "1",
            f"links_{row['id']}": "https://example.org/photos",
            "action": "submit",
        },
    )
    assert corrected.status_code == 303
    assert (await ProgressUpdate.select(ProgressUpdate.status, ProgressUpdate.narrative).first()) == {
        "status": "submitted",
        "narrative": "Nursery one built: 5000 seedlings.",
    }

    await sign_in(client, w.staff)
    approved = await post_form(client, f"/progress-updates/{row['id']}/approve", {})
    assert approved.status_code == 303
    final = await ProgressUpdate.select().first()
    assert (final["status"], final["reviewed_by"], final["comment"]) == ("approved", w.staff.id, "")
    steps = await ProgressUpdateStep.select(ProgressUpdateStep.status, ProgressUpdateStep.by_user).order_by(
        ProgressUpdateStep.id
    )
    assert [(s["status"], s["by_user"]) for s in steps] == [
        ("draft", w.ngo.id),
        ("submitted", w.ngo.id),
        ("returned", w.staff.id),
        ("returned", w.ngo.id),
        ("submitted", w.ngo.id),
        ("approved", w.staff.id),
    ]
    assert await _kinds(w.staff.id) == ["partner_submitted", "partner_submitted"]
    assert await _kinds(w.ngo.id) == ["partner_returned", "partner_approved"]


async def test_other_partner_cannot_see_or_move_an_update(client: AsyncTestClient) -> None:
    w, commitment_id = await _setup()
    update_id = await updates.create_update(
        w.ngo, commitment_id, {"period": "2025-Q3", "narrative": "Done."}, [updates.evidence.Upload("año 作.txt", b"x")]
    )
    file_id = (await EvidenceFile.select(EvidenceFile.id).first())["id"]
    await sign_in(client, w.ngo)
    own = await client.get(f"/evidence/{file_id}")
    assert own.status_code == 200
    assert own.headers["content-disposition"] == (
        "attachment; filename=\"a_o _.txt\"; filename*=UTF-8''a%C3%B1o%20%E4%BD%9C.txt"
    )
    await sign_in(client, w.buyer)
    assert (await post_form(client, f"/progress-updates/{update_id}/submit", {})).status_code == 404
    assert (await client.get(f"/evidence/{file_id}")).status_code == 404
    refused = await post_form(client, f"/progress-updates/{update_id}/correct", {f"narrative_{update_id}": "Mine"})
    assert refused.status_code == 404
    assert (await ProgressUpdate.select(ProgressUpdate.status, ProgressUpdate.narrative).first()) == {
        "status": "draft",
        "narrative": "Done.",
    }


async def test_update_problems_come_back_inline(client: AsyncTestClient) -> None:
    w, commitment_id = await _setup()
    await sign_in(client, w.ngo)
    await client.get("/")
    response = await client.post(
        f"/commitments/{commitment_id}/updates",
        data={
            "_csrf_token": csrf_token(client),
            "period": "2019-Q1",
            "narrative": "",
            "links": "http://example.org/insecure",
        },
        files={"files": ("tool.exe", b"MZ", "application/octet-stream")},
    )
    assert response.status_code == 422
    assert "Choose one of the program&#39;s periods." in response.text
    assert "Each link must start with https:// (one a line): http://example.org/insecure" in response.text
    assert "tool.exe: attach a PDF" in response.text
    assert "This field is required." in response.text
    assert await ProgressUpdate.count() == 0
    big = await client.post(
        f"/commitments/{commitment_id}/updates",
        data={"_csrf_token": csrf_token(client), "period": "2025-Q3", "narrative": "Big"},
        files={"files": ("big.pdf", b"x" * (2 * 1024 * 1024 + 1), "application/pdf")},
    )
    assert big.status_code == 422
    assert "big.pdf is larger than 2 MB." in big.text
    assert await ProgressUpdate.count() == 0


async def test_partner_reports_a_value_that_staff_approve(client: AsyncTestClient) -> None:
    w = await partners_world()
    await services.create_commitment(w.buyer, w.program_id, commitment_form(w, title="Buy certified latex"))
    await sign_in(client, w.buyer)
    url = f"/programs/{w.program_id}/values"
    foreign = await post_form(client, url, {"indicator": str(w.computed_id), "period": "2025-Q4", "value": "5"})
    assert foreign.status_code == 422
    assert "Choose a reported indicator your commitments serve." in foreign.text
    sent = await post_form(
        client, url, {"indicator": str(w.reported_id), "period": "2025-Q4", "value": "42", "action": "submit"}
    )
    assert sent.status_code == 303
    value = await ReportedValue.select().first()
    assert (value["status"], value["organization"], value["value"], value["submitted_by"]) == (
        "submitted",
        w.buyer.organization_id,
        42.0,
        w.buyer.id,
    )
    assert await _kinds(w.staff.id) == ["partner_submitted"]
    # A partner cannot approve through the agenda's staff API or pages.
    refused = await post_form(client, f"/staff/agenda/values/{value['id']}/approve", {})
    assert refused.status_code == 403

    await sign_in(client, w.staff)
    returned = await post_form(
        client, f"/staff/agenda/values/{value['id']}/return", {f"comment_{value['id']}": "Only certified hectares."}
    )
    assert returned.status_code == 303
    assert await _kinds(w.buyer.id) == ["partner_returned"]

    await sign_in(client, w.buyer)
    fixed = await post_form(
        client,
        f"/partner-values/{value['id']}/correct",
        {"program": str(w.program_id), f"value_{value['id']}": "40", f"note_{value['id']}": "", "then": "submit"},
    )
    assert fixed.status_code == 303
    await sign_in(client, w.staff)
    assert (await post_form(client, f"/staff/agenda/values/{value['id']}/approve", {})).status_code == 303
    assert await _kinds(w.buyer.id) == ["partner_returned", "partner_approved"]
    steps = (
        await ReportedValueStep.select(ReportedValueStep.status)
        .where(ReportedValueStep.reported_value == value["id"])
        .order_by(ReportedValueStep.id)
    )
    assert [s["status"] for s in steps] == ["draft", "submitted", "returned", "returned", "submitted", "approved"]
    results = await client.get(f"/programs/{w.program_id}/results")
    assert f'data-testid="actual-{w.reported_id}-2025-Q4">40' in results.text


async def test_other_partner_cannot_touch_a_value(client: AsyncTestClient) -> None:
    w = await partners_world()
    await services.create_commitment(w.buyer, w.program_id, commitment_form(w, title="Buy certified latex"))
    value_id = await updates.report_value(
        w.buyer, w.program_id, {"indicator": str(w.reported_id), "period": "2025-Q4", "value": "7"}
    )
    await sign_in(client, w.ngo)
    refused = await post_form(client, f"/partner-values/{value_id}/submit", {"program": str(w.program_id)})
    assert refused.status_code == 404
    page = await client.get(f"/programs/{w.program_id}/commitments")
    assert f'data-testid="partner-value-{value_id}"' not in page.text
    assert (await ReportedValue.select(ReportedValue.status).first())["status"] == "draft"


async def test_a_failing_notification_hook_does_not_undo_an_approval(client: AsyncTestClient) -> None:
    from app.agenda import services as agenda

    w = await partners_world()
    await services.create_commitment(w.buyer, w.program_id, commitment_form(w, title="Buy certified latex"))
    value_id = await updates.report_value(
        w.buyer, w.program_id, {"indicator": str(w.reported_id), "period": "2025-Q4", "value": "7"}, submit=True
    )

    async def broken(*_args: object) -> None:
        raise RuntimeError("mail server on fire")

    agenda.MOVE_HOOKS.insert(0, broken)
    try:
        await sign_in(client, w.staff)
        approved = await post_form(client, f"/staff/agenda/values/{value_id}/approve", {})
    finally:
        agenda.MOVE_HOOKS.remove(broken)
    assert approved.status_code == 303
    assert (await ReportedValue.select(ReportedValue.status).first())["status"] == "approved"
    assert await _kinds(w.buyer.id) == ["partner_approved"]  # the hooks after the broken one still ran
