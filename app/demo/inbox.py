"""The demo accounts' notification centres: what the simulated trade would have told them.

The simulated trade is written in bulk, past the alert hooks, so without this step the demo producer and buyer open
an empty notification centre. Each gets the alerts the live hooks give, with the same kinds, parameters, links and
de-duplication keys (so a later live alert for the same message or match is not repeated): the latest message from
the other side of each of their most recent conversations, and the best recommendation of their open requests
(buyers) or the best-fitting open requests for their offers (producers). In-app only: nothing is mailed to the demo
addresses. The two newest are left unread.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts.tables import User
from app.db import atomic
from app.matching.tables import Match
from app.messaging.tables import Conversation, Message
from app.notifications.alerts import match_alert_columns, message_alert, offer_match_alert, request_fit_alert
from app.notifications.services import Alert
from app.notifications.tables import Notification

CONVERSATIONS = 6
MATCH_ALERTS = 2
UNREAD = 2


async def _message_alerts(user: dict[str, Any]) -> list[dict[str, Any]]:
    org = user["organization"]
    conversations = (
        await Conversation.select(Conversation.id)
        .where((Conversation.buyer_organization == org) | (Conversation.producer_organization == org))
        .order_by(Conversation.last_message_at, ascending=False)
        .limit(CONVERSATIONS)
    )
    alerts = []
    for conversation in conversations:
        latest = (
            await Message.select(
                Message.id,
                Message.body,
                Message.created_at,
                Message.sender_organization,
                Message.sender_organization.name.as_alias("org_name"),
            )
            .where(Message.conversation == conversation["id"])
            .order_by(Message.id, ascending=False)
            .first()
        )
        if latest is None or latest["sender_organization"] == org:
            continue  # the demo user spoke last: nothing to be told
        alert = message_alert(conversation["id"], latest["id"], latest["org_name"], latest["body"])
        alerts.append(_dated(alert, latest["created_at"]))
    return alerts


def _dated(alert: Alert, at: dt.datetime) -> dict[str, Any]:
    return {"kind": alert.kind, "key": alert.key, "params": alert.params, "link": alert.link, "at": at}


async def _buyer_match_alerts(org: int) -> list[dict[str, Any]]:
    rows = (
        await Match.select(*match_alert_columns())
        .where(
            (Match.request.organization == org)
            & (Match.request.status == "open")
            & (Match.status == "recommended")
            & (Match.rank == 1)
        )
        .order_by(Match.score, ascending=False)
        .limit(MATCH_ALERTS)
    )
    return [_dated(offer_match_alert(r), r["updated_at"]) for r in rows]


async def _producer_match_alerts(org: int) -> list[dict[str, Any]]:
    rows = (
        await Match.select(*match_alert_columns())
        .where((Match.offer.organization == org) & (Match.request.status == "open") & (Match.status == "recommended"))
        .order_by(Match.score, ascending=False)
        .limit(50)
    )
    alerts: dict[int, dict[str, Any]] = {}
    for r in rows:  # one alert per request, as the live hook keys them
        if r["request"] not in alerts and len(alerts) < MATCH_ALERTS:
            alerts[r["request"]] = _dated(request_fit_alert(r), r["updated_at"])
    return list(alerts.values())


async def seed_inbox(emails: list[str], now: dt.datetime) -> int:
    """Notifications for these demo accounts (producers and buyers); how many were added."""
    users = await User.select(User.id, User.role, User.organization).where(User.email.is_in(emails))
    added = 0
    async with atomic():
        for user in users:
            if user["role"] == "buyer":
                alerts = await _message_alerts(user) + await _buyer_match_alerts(user["organization"])
            elif user["role"] == "producer":
                alerts = await _message_alerts(user) + await _producer_match_alerts(user["organization"])
            else:
                continue
            alerts.sort(key=lambda a: a["at"] or now, reverse=True)
            for i, alert in enumerate(alerts):
                at = alert["at"] or now
                key = f"{user['id']}:{alert['key']}"
                if await Notification.exists().where(Notification.dedupe_key == key):
                    continue
                await Notification(
                    recipient=user["id"],
                    kind=alert["kind"],
                    params=alert["params"],
                    link=alert["link"],
                    dedupe_key=key,
                    in_app=True,
                    created_at=at,
                    read_at=None if i < UNREAD else at + dt.timedelta(hours=2),
                ).save()
                added += 1
    return added
