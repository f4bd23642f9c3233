"""The alerts and mail subscribers of the event outbox: what happened elsewhere becomes notifications and e-mails.

Each event is turned into notifications (and their e-mails) in the transaction that deletes it from the outbox, so it
is told once: a failure rolls both back and the event is retried on a later pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.clock import now
from app.events import ALERTS, MAIL
from app.notifications import alerts, certificate_alerts, lot_alerts
from app.notifications.services import message_id_for
from app.notifications.tables import EmailOutbox

Row = dict[str, Any]


@dataclass
class AlertsSubscriber:
    """Conversation, deal, first-match, certificate-status and lot events -> notifications."""

    name: str = ALERTS

    async def apply(self, rows: list[Row]) -> None:
        """Nothing outside the database."""

    async def commit(self, rows: list[Row]) -> None:
        for row in rows:
            await handle_alert(row["name"], row["payload"])


async def handle_alert(name: str, payload: dict[str, Any]) -> None:
    """Tell whoever one event concerns (an event this subscriber does not know is a programming error)."""
    if name == "message_sent":
        await alerts.message_sent(payload)
    elif name in ("deal_recorded", "deal_confirmed", "deal_declined"):
        await alerts.deal_event_recorded(name, payload)
    elif name == "pairs_first_matched":
        await alerts.pairs_first_matched(
            int(payload["request_id"]), list(payload["offer_ids"]), payload["computed_before"]
        )
    elif name == "lot_answer_changed":
        await lot_alerts.lot_answer_changed(payload)
    elif name == "certificate_status_changed":
        await certificate_alerts.certificate_status_changed(int(payload["certificate_id"]), payload["old_status"])
    else:
        raise ValueError(f"the alerts subscriber does not consume {name!r}")


@dataclass
class MailSubscriber:
    """``password_reset_mail`` -> the e-mail queue (``email_outbox``), sent by the mail step like every other."""

    name: str = MAIL

    async def apply(self, rows: list[Row]) -> None:
        """Nothing outside the database."""

    async def commit(self, rows: list[Row]) -> None:
        for row in rows:
            if row["name"] != "password_reset_mail":
                raise ValueError(f"the mail subscriber does not consume {row['name']!r}")
            await queue_mail(row["payload"])


async def queue_mail(payload: dict[str, Any]) -> None:
    """Queue one e-mail rendered by the sender (its Message-ID fixed by its dedupe key, so it is queued once)."""
    message_id = message_id_for(payload["dedupe_key"])
    if await EmailOutbox.exists().where(EmailOutbox.message_id == message_id):
        return
    moment = now()
    created = payload.get("created_at")
    await EmailOutbox(
        to_address=payload["to"],
        subject=payload["subject"],
        body=payload["body"],
        locale=payload.get("locale", ""),
        message_id=message_id,
        next_attempt_at=moment,
        created_at=dt.datetime.fromisoformat(created) if created else moment,
    ).save()
