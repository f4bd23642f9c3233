"""A group certificate that is suspended changes the claim of every lot its members' latex went into: the certificate
edit records ``certificate_changed`` for the lots subscriber of the event outbox, which derives those lots again."""

from __future__ import annotations

from app.accounts import services as accounts
from app.certificates import services as certificates
from app.events import LOTS, pending
from app.imports.services import import_document
from app.traceability.services import stored_answer
from app.worker import consume_lots
from tests.factories import PASSWORD
from tests.integration.test_traceability_import import trace_doc


async def test_a_suspended_group_certificate_takes_the_claim_off_its_lots(clean_db: str) -> None:
    await import_document(trace_doc())
    await consume_lots()  # the import's own changes: already derived by the import, derived again to the same answer
    assert (await stored_answer("lot-1"))["claim"] == "FSC Mix"
    manager = await accounts.create_user(
        email="gestor@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
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
    # Until the subscriber runs, the stored answer is the one derived before; the event waits for it.
    assert (await stored_answer("lot-1"))["claim"] == "FSC Mix"
    assert await pending(LOTS) == 1
    assert await consume_lots() == 1
    lot_1 = await stored_answer("lot-1")
    # No certificate of the group was valid on the delivery dates any more: nothing of the lot is certified.
    assert (lot_1["claim"], lot_1["certified_percent"]) == (None, 0)
    assert [(c["code"], c["ref"]) for c in lot_1["checks"]] == [
        ("MEMBER_NOT_CERTIFIED", "m-1"),
        ("MEMBER_NOT_CERTIFIED", "m-2"),
    ]
    lot_2 = await stored_answer("lot-2")  # draws from lot-1: derived again too
    assert lot_2["claim"] is None
