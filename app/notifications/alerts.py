"""What raises notifications: conversation events, matches, saved searches and certificates.

- Conversations (hooks called by app.messaging.services): a new message and a recorded, confirmed or declined
  deal notify the users of the other organisation.
- Matches (scanned after each sync pass): a match record above ``OFFER_ALERT_MIN_SCORE`` whose offer is newer
  than the request (created or changed after the request was posted) notifies the buyer once per (request,
  offer); a match whose request is newer than the offer notifies the offer's producer once per request.
- Saved searches: offers the sync applied are queued (``AlertOfferChange``, in the sync's own transaction);
  after each pass every saved search runs through the search backend with its filters, narrowed to the
  changed offers' organisations, and the hits among the changed offers notify its owner once per offer.
- Certificates (daily check, and a hook on status edits): producers and staff 60 and 30 days before expiry;
  buyers in an open conversation with the producer when the certificate is suspended, terminated or lapses.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qsl

from piccolo.engine.postgres import PostgresEngine

from app.accounts.services import CurrentUser, now
from app.accounts.tables import User
from app.certificates.tables import Certificate
from app.db import atomic, engine
from app.matching.tables import Match
from app.messaging.tables import Conversation, MatchEvent
from app.notifications.services import Alert, deliver
from app.notifications.tables import AlertCursor, AlertOfferChange, SavedSearch
from app.offers.tables import Offer

log = logging.getLogger("forestmatch.alerts")

#: Minimum match score (0..1) for a buyer to be told about a new or changed offer.
OFFER_ALERT_MIN_SCORE = 0.5
#: Days before expiry at which producers and staff are warned.
EXPIRY_WARNINGS = (60, 30)
#: How far back the match scan re-reads, so a match written by a slower transaction is not skipped.
SCAN_MARGIN = dt.timedelta(seconds=60)
#: Certificates that turned invalid this recently are (re)checked by the daily pass.
LAPSE_WINDOW = dt.timedelta(days=7)
SCAN_LIMIT = 5000
MAX_SEARCH_PAGES = 20
ACTIVE = User.is_active == True  # noqa: E712 - Piccolo builds SQL from ==


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


async def org_users(org_ids: set[int] | list[int], role: str | None = None) -> list[int]:
    """Active users of these organisations (optionally of one role)."""
    if not org_ids:
        return []
    where = User.organization.is_in(list(org_ids)) & ACTIVE
    if role:
        where = where & (User.role == role)
    return [r["id"] for r in await User.select(User.id).where(where)]


async def staff_users() -> list[int]:
    return [r["id"] for r in await User.select(User.id).where((User.role == "staff") & ACTIVE)]


# --- conversations ---------------------------------------------------------------------------------------------
async def _other_side(conversation_id: int, actor_org: int | None) -> tuple[dict[str, Any], list[int]]:
    conversation = (
        await Conversation.select(Conversation.id, Conversation.buyer_organization, Conversation.producer_organization)
        .where(Conversation.id == conversation_id)
        .first()
    )
    if conversation is None:
        return {}, []
    orgs = {conversation["buyer_organization"], conversation["producer_organization"]} - {actor_org}
    return conversation, await org_users(orgs)


def message_alert(conversation_id: int, message_id: int, sender_org: str, body: str) -> Alert:
    """For the other side of a conversation: a new message, with its first 200 characters."""
    excerpt = body if len(body) <= 200 else body[:199] + "…"
    return Alert(
        "message",
        f"message:{message_id}",
        {"org": sender_org, "excerpt": excerpt},
        f"/conversations/{conversation_id}#latest",
    )


async def message_sent(user: CurrentUser, conversation_id: int, message_id: int, body: str) -> None:
    """Hook: a party posted a message; the other organisation's users are told."""
    _conversation, recipients = await _other_side(conversation_id, user.organization_id)
    await deliver(message_alert(conversation_id, message_id, user.organization_name, body), recipients)


_EVENT_KINDS = {"deal_closed": "deal_recorded", "deal_confirmed": "deal_confirmed", "declined": "deal_declined"}


async def match_event_recorded(
    state: str, user: CurrentUser, conversation_id: int | None, event_id: int, details: dict[str, Any]
) -> None:
    """Hook: a deal was recorded, confirmed or declined; the other organisation's users are told."""
    kind = _EVENT_KINDS.get(state)
    if kind is None or conversation_id is None:
        return
    _conversation, recipients = await _other_side(conversation_id, user.organization_id)
    params: dict[str, Any] = {"org": user.organization_name}
    if kind == "deal_recorded":
        params.update({k: details.get(k) for k in ("quantity", "unit", "price", "currency", "date")})
    elif kind == "deal_declined":
        params.update({"reason": details.get("reason"), "text": details.get("text") or ""})
    await deliver(Alert(kind, f"event:{event_id}", params, f"/conversations/{conversation_id}#events"), recipients)


# --- matches ---------------------------------------------------------------------------------------------------
async def _cursor(name: str, default: dt.datetime) -> dt.datetime:
    row = await AlertCursor.select(AlertCursor.at).where(AlertCursor.name == name).first()
    return _aware(row["at"]) if row else default


async def _move_cursor(name: str, at: dt.datetime) -> None:
    async with atomic():
        if await AlertCursor.exists().where(AlertCursor.name == name):
            await AlertCursor.update({AlertCursor.at: at}).where((AlertCursor.name == name) & (AlertCursor.at < at))
        else:
            await AlertCursor(name=name, at=at).save()


def match_alert_columns() -> tuple[Any, ...]:
    """What ``offer_match_alert`` and ``request_fit_alert`` read of a match record."""
    return (
        Match.id,
        Match.request,
        Match.offer,
        Match.score,
        Match.updated_at,
        Match.request.ref.as_alias("request_ref"),
        Match.request.title.as_alias("request_title"),
        Match.request.status.as_alias("request_status"),
        Match.request.created_at.as_alias("request_created_at"),
        Match.request.organization.as_alias("buyer_org"),
        Match.request.organization.name.as_alias("buyer_name"),
        Match.offer.ref.as_alias("offer_ref"),
        Match.offer.title.as_alias("offer_title"),
        Match.offer.updated_at.as_alias("offer_updated_at"),
        Match.offer.organization.as_alias("producer_org"),
        Match.offer.organization.name.as_alias("producer_name"),
    )


def offer_match_alert(row: dict[str, Any]) -> Alert:
    """For the buyer: a new or changed offer fits one of their open requests."""
    return Alert(
        "offer_match",
        f"offer-match:{row['request']}:{row['offer']}",
        {
            "request": row["request_title"] or row["request_ref"],
            "offer": row["offer_title"],
            "org": row["producer_name"],
            "score": round(float(row["score"]), 2),
        },
        f"/requests/{row['request_ref']}",
    )


def request_fit_alert(row: dict[str, Any]) -> Alert:
    """For the producer: a new request fits one of their offers (one alert per request)."""
    return Alert(
        "request_fit",
        f"request-fit:{row['request']}",
        {"offer": row["offer_title"], "request": row["request_title"] or row["request_ref"], "org": row["buyer_name"]},
        f"/requests/{row['request_ref']}",
    )


async def match_alerts() -> int:
    """Scan match records written since the last scan; returns how many users were notified."""
    moment = now()
    since = await _cursor("matches", moment - dt.timedelta(days=1)) - SCAN_MARGIN
    rows = await (
        Match.select(*match_alert_columns())
        .where((Match.updated_at >= since) & (Match.status == "recommended"))
        .order_by(Match.updated_at)
        .limit(SCAN_LIMIT)
    )
    notified = 0
    for row in rows:
        if row["request_status"] != "open":
            continue
        offer_newer = _aware(row["offer_updated_at"]) > _aware(row["request_created_at"])
        if offer_newer and row["score"] >= OFFER_ALERT_MIN_SCORE:
            alert = offer_match_alert(row)
            notified += len(await deliver(alert, await org_users([row["buyer_org"]], "buyer")))
        elif not offer_newer:
            alert = request_fit_alert(row)
            notified += len(await deliver(alert, await org_users([row["producer_org"]], "producer")))
    if rows:
        await _move_cursor("matches", max(_aware(r["updated_at"]) for r in rows))
    return notified


# --- saved searches --------------------------------------------------------------------------------------------
async def record_offer_changes(request_refs: set[str], offer_refs: set[str]) -> None:
    """Sync hook (inside the sync's transaction): offers just applied to the index, for the saved-search check."""
    if offer_refs:
        moment = now()
        rows = [AlertOfferChange(offer_ref=ref, created_at=moment) for ref in sorted(offer_refs)]
        await AlertOfferChange.insert(*rows)


async def _take_changes(limit: int) -> list[dict[str, Any]]:
    if isinstance(engine(), PostgresEngine):
        return await AlertOfferChange.raw(
            "SELECT id, offer_ref, created_at FROM alert_offer_change ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
            limit,
        )
    return await AlertOfferChange.select().order_by(AlertOfferChange.id).limit(limit)


async def saved_search_alerts(backend: Any, limit: int = 2000) -> int:
    """Check queued offer changes against every saved search; returns how many users were notified.

    On PostgreSQL the changes are locked (``SKIP LOCKED``) for the check, so two workers never take the same ones.
    On SQLite they are read without holding the write lock across the searches (a slow search engine must not
    stall the site's writes); a second worker checking the same changes creates nothing twice (dedupe keys).
    If the search engine fails, the changes stay queued for the next pass.
    """
    if not await AlertOfferChange.exists():
        return 0  # the usual idle pass: no write transaction
    if isinstance(engine(), PostgresEngine):
        async with atomic():
            changes = await _take_changes(limit)
            notified = await _check_saved_searches(backend, changes)
            await AlertOfferChange.delete().where(AlertOfferChange.id.is_in([c["id"] for c in changes] or [-1]))
        return notified
    changes = await _take_changes(limit)
    notified = await _check_saved_searches(backend, changes)
    async with atomic():
        await AlertOfferChange.delete().where(AlertOfferChange.id.is_in([c["id"] for c in changes] or [-1]))
    return notified


async def _check_saved_searches(backend: Any, changes: list[dict[str, Any]]) -> int:
    from app.indexing.documents import OFFERS_INDEX
    from app.search.services import SearchParams, public_filters, query_dict
    from search_index import AnyOf, SearchQuery

    if not changes:
        return 0
    changed_at: dict[str, dt.datetime] = {}
    for c in changes:
        at = _aware(c["created_at"])
        changed_at[c["offer_ref"]] = max(at, changed_at.get(c["offer_ref"], at))
    offers = {
        r["ref"]: r
        for r in await Offer.select(
            Offer.id,
            Offer.ref,
            Offer.title,
            Offer.organization.ref.as_alias("org_ref"),
            Offer.organization.name.as_alias("org_name"),
        ).where(Offer.ref.is_in(list(changed_at)))
    }
    if not offers:
        return 0
    searches = await SavedSearch.select().order_by(SavedSearch.id)
    orgs = tuple(sorted({o["org_ref"] for o in offers.values()}))
    notified = 0
    for search in searches:
        params = SearchParams.from_query(query_dict(parse_qsl(search["query"])))
        filters = (
            *public_filters(),
            *[f for g in params.group_filters().values() for f in g],
            AnyOf("organization_ref", orgs),
        )
        saved_at = _aware(search["created_at"])
        page, hits = 1, []
        while page <= MAX_SEARCH_PAGES:  # the changed offers' organisations may hold more offers than one page
            result = await backend.search(
                OFFERS_INDEX, SearchQuery(text=params.q, filters=filters, page=page, per_page=1000)
            )
            hits.extend(result.hits)
            if page * 1000 >= result.total:
                break
            page += 1
        for hit in hits:
            offer = offers.get(hit.id)
            if offer is None or changed_at[hit.id] < saved_at:
                continue
            alert = Alert(
                "saved_search",
                f"saved-search:{search['id']}:{offer['id']}",
                {"search": search["name"], "offer": offer["title"], "org": offer["org_name"]},
                f"/offers/{offer['ref']}",
            )
            notified += len(await deliver(alert, [search["user"]]))
    return notified


# --- certificates ----------------------------------------------------------------------------------------------
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
    if not conversations:
        return 0
    declined = {
        r["conversation"]
        for r in await MatchEvent.select(MatchEvent.conversation).where(
            MatchEvent.conversation.is_in([c["id"] for c in conversations]) & (MatchEvent.state == "declined")
        )
    }
    buyers = {c["buyer_organization"] for c in conversations if c["id"] not in declined}
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


__all__ = [
    "certificate_alerts",
    "certificate_status_changed",
    "match_alerts",
    "match_event_recorded",
    "message_sent",
    "record_offer_changes",
    "saved_search_alerts",
]
