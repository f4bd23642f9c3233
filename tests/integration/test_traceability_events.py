"""A group certificate that is suspended: the certificate edit records ``certificate_changed`` for the lots subscriber
of the event outbox, which derives every lot of the group's members again; latex delivered before the day the status
changed keeps its claim (it was certified when it changed hands), latex delivered from that day carries none, and a
certificate recorded suspended from the start (since when unknown) backs no claim at all."""

from __future__ import annotations

from app.accounts import services as accounts
from app.certificates import services as certificates
from app.events import LOTS, pending
from app.imports.services import import_document
from app.traceability.services import stored_answer
from app.worker import consume_lots
from tests.clock import today
from tests.factories import PASSWORD
from tests.integration.test_traceability_import import d, trace_doc


async def _suspend(manager_email: str = "gestor@coop-acre.example.org") -> None:
    manager = await accounts.create_user(
        email=manager_email, password=PASSWORD, role="producer", organization_ref="coop-acre"
    )
    cert = await certificates.get_certificate("cert-g")
    form = {
        "code": cert["code"],
        "license_code": cert["license_code"],
        "scope": cert["scope"],
        "status": "suspended",
        "issued_on": cert["issued_on"].isoformat(),
        "expires_on": cert["expires_on"].isoformat(),
        "product_types": cert["product_types"],
        "group": True,
    }
    await certificates.update_certificate(manager, "cert-g", form)


async def test_a_suspension_derives_the_lots_again_and_latex_delivered_before_it_keeps_its_claim(
    clean_db: str,
) -> None:
    await import_document(trace_doc())
    await consume_lots()  # the import's own changes: already derived by the import, derived again to the same answer
    before = await stored_answer("lot-1")
    assert (before["claim"], before["certified_percent"]) == ("FSC Mix", 68)
    await _suspend()
    assert (await certificates.get_certificate("cert-g"))["status_since"] == today()
    assert await pending(LOTS) == 1
    assert await consume_lots() == 1
    # lot-1's latex was delivered 30 and 29 days before the suspension: it was certified when it changed hands.
    assert await stored_answer("lot-1") == before

    # Latex delivered on the day of the suspension or later carries no claim.
    doc = trace_doc()
    doc["certificates"][0]["status"] = "suspended"  # as stored now: the import changes nothing about it
    doc["deliveries"].append(
        {"ref": "del-9", "collector": "usina-rio", "member": "m-1", "plot": "p-1", "date": d(0),
         "form": "field_latex", "dry_kg": 40}
    )  # fmt: skip
    doc["lots"].append(
        {"ref": "lot-9", "holder": "usina-rio", "inputs": [{"delivery": "del-9"}], "process": "none",
         "product_type": "field_latex", "output_dry_kg": 40, "date": d(0)}
    )  # fmt: skip
    await import_document(doc)
    assert (await certificates.get_certificate("cert-g"))["status_since"] == today()
    lot_9 = await stored_answer("lot-9")
    assert (lot_9["claim"], lot_9["certified_percent"]) == (None, 0)
    assert [(c["code"], c["ref"]) for c in lot_9["checks"]] == [("MEMBER_NOT_CERTIFIED", "m-1")]
    assert (await stored_answer("lot-1"))["claim"] == "FSC Mix"


async def test_a_certificate_recorded_suspended_from_the_start_backs_no_claim(clean_db: str) -> None:
    doc = trace_doc()
    doc["certificates"][0]["status"] = "suspended"  # since when is not known: no delivery counts as certified
    await import_document(doc)
    assert (await certificates.get_certificate("cert-g"))["status_since"] is None
    lot_1 = await stored_answer("lot-1")
    assert (lot_1["claim"], lot_1["certified_percent"]) == (None, 0)
    assert [(c["code"], c["ref"]) for c in lot_1["checks"]] == [
        ("MEMBER_NOT_CERTIFIED", "m-1"),
        ("MEMBER_NOT_CERTIFIED", "m-2"),
    ]
    assert (await stored_answer("lot-2"))["claim"] is None  # draws from lot-1


async def test_an_import_that_suspends_the_certificate_dates_the_change(clean_db: str) -> None:
    await import_document(trace_doc())
    doc = trace_doc()
    doc["certificates"][0]["status"] = "suspended"
    await import_document(doc)
    assert (await certificates.get_certificate("cert-g"))["status_since"] == today()
    assert (await stored_answer("lot-1"))["claim"] == "FSC Mix"
