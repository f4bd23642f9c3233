"""Certificate alerts (the daily check, and a hook on status edits): producers and staff 60 and 30 days before
expiry; buyers in an open conversation with the producer when the certificate is suspended, terminated or lapses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.certificates.tables import Certificate
from app.clock import now
from app.messaging.tables import Conversation
from app.notifications.alerts import EXPIRY_WARNINGS, LAPSE_WINDOW, _date, org_users, staff_users, still_open
from app.notifications.services import Alert, deliver

_CERT_COLUMNS = (
    Certificate.id,
    Certificate.code,
    Certificate.status,
    Certificate.expires_on,
    Certificate.updated_at,
    Certificate.organization,
    Certificate.organization.name.as_alias("org_name"),
    Certificate.organization.ref.as_alias("org_ref"),
)


async def _expiry_warning(cert: dict[str, Any], today: dt.date, staff: list[int]) -> int:
    expires = _date(cert["expires_on"])
    days = (expires - today).days
    mark = min(w for w in EXPIRY_WARNINGS if days <= w)
    key = f"cert-expiry:{cert['id']}:{mark}:{expires.isoformat()}"
    params = {"code": cert["code"], "org": cert["org_name"], "date": expires.isoformat(), "days": days}
    producers = await org_users([cert["organization"]], "producer")
    got = await deliver(Alert("cert_expiring", key, params, "/my/certificates"), producers)
    got += await deliver(Alert("cert_expiring", key, params, f"/producers/{cert['org_ref']}"), staff)
    return len(got)


async def _lapse_alert(cert: dict[str, Any], today: dt.date) -> int:
    """Buyers in an open conversation with the certificate's producer are told it is no longer valid."""
    expires = _date(cert["expires_on"])
    status = cert["status"] if cert["status"] != "valid" else ("expired" if expires < today else "")
    if not status:
        return 0
    conversations = await Conversation.select(Conversation.id, Conversation.buyer_organization).where(
        Conversation.producer_organization == cert["organization"]
    )
    buyers = {c["buyer_organization"] for c in await still_open(conversations)}
    if not buyers:
        return 0
    alert = Alert(
        "cert_lapsed",
        f"cert-lapse:{cert['id']}:{status}:{expires.isoformat()}",
        {"code": cert["code"], "org": cert["org_name"], "status": status},
        f"/producers/{cert['org_ref']}",
    )
    return len(await deliver(alert, await org_users(buyers, "buyer")))


async def certificate_status_changed(certificate_id: int, old_status: str) -> None:
    """Hook (certificate edit): a certificate that stopped being valid warns the buyers talking to its producer."""
    cert = await Certificate.select(*_CERT_COLUMNS).where(Certificate.id == certificate_id).first()
    if cert and cert["status"] != old_status and cert["status"] != "valid":
        await _lapse_alert(cert, dt.date.today())


async def certificate_alerts(today: dt.date | None = None) -> int:
    """The daily certificate check: expiry warnings and lapses (each deduplicated); returns users notified."""
    today = today or dt.date.today()
    notified = 0
    expiring = await Certificate.select(*_CERT_COLUMNS).where(
        (Certificate.status == "valid")
        & (Certificate.expires_on >= today)
        & (Certificate.expires_on <= today + dt.timedelta(days=max(EXPIRY_WARNINGS)))
    )
    staff = await staff_users() if expiring else []
    for cert in expiring:
        notified += await _expiry_warning(cert, today, staff)
    lapsed = await Certificate.select(*_CERT_COLUMNS).where(
        (
            Certificate.status.is_in(["suspended", "terminated", "expired"])
            & (Certificate.updated_at >= now() - LAPSE_WINDOW)
        )
        | (
            (Certificate.status == "valid")
            & (Certificate.expires_on < today)
            & (Certificate.expires_on >= today - LAPSE_WINDOW)
        )
    )
    for cert in lapsed:
        notified += await _lapse_alert(cert, today)
    return notified
