"""What raises notifications: conversation events, matches, saved searches and certificates.

Each public function here is called by the alerts subscriber (``app.notifications.subscriber``) with an event's
payload, in the transaction that consumes the event: no domain service calls into this module.

- Conversations (``message_sent``, ``deal_recorded``, ``deal_confirmed``, ``deal_declined``): a new message and a
  recorded, confirmed or declined deal notify the users of the other organisation.
- Matches (``pairs_first_matched``, recorded by the matcher with the match records): a pair that matches for the
  first time is told about only when a change since the request's previous computation made it match: a new or
  changed request tells the offers' producers (once per request), a new or changed offer tells the buyer (once per
  request and offer, above ``OFFER_ALERT_MIN_SCORE``). Recomputing matches for any other reason tells nobody.
- Saved searches: offers the sync applied are queued (``AlertOfferChange``, in the sync's own transaction);
  after each pass every saved search runs through the search backend with its filters, narrowed to the
  changed offers' organisations, and the hits among the offers posted or changed after the search was saved
  notify its owner once per offer (an offer re-indexed because its certificate or organisation changed, or by a
  rebuild, is not a new offer).
- Certificates: ``app.notifications.certificate_alerts`` (the daily check, and a hook on status edits).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qsl

from piccolo.engine.postgres import PostgresEngine

from app.accounts.tables import User
from app.clock import now
from app.db import atomic, engine, insert_rows
from app.indexing.documents import OFFERS_INDEX
from app.matching.tables import Match
from app.messaging.tables import Conversation, MatchEvent
from app.notifications.services import Alert, deliver
from app.notifications.tables import AlertOfferChange, SavedSearch
from app.offers import projection
from app.offers.tables import Offer
from app.search.services import SearchParams, public_filters, query_dict
from search_index import AnyOf, SearchQuery
from search_index.backend import SearchBackend

log = logging.getLogger("forestmatch.alerts")

#: Minimum match score (0..1) for a buyer to be told about a new or changed offer.
OFFER_ALERT_MIN_SCORE = 0.5
#: Days before expiry at which producers and staff are warned.
EXPIRY_WARNINGS = (60, 30)
#: Certificates that turned invalid this recently are (re)checked by the daily pass.
LAPSE_WINDOW = dt.timedelta(days=7)
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


async def still_open(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversations (rows with ``id``) in which no party declined to go on, in the given order."""
    if not conversations:
        return []
    declined = {
        r["conversation"]
        for r in await MatchEvent.select(MatchEvent.conversation).where(
            MatchEvent.conversation.is_in([c["id"] for c in conversations]) & (MatchEvent.state == "declined")
        )
    }
    return [c for c in conversations if c["id"] not in declined]


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


async def message_sent(payload: dict[str, Any]) -> None:
    """``message_sent``: a party posted a message; the other organisation's users are told."""
    conversation_id = int(payload["conversation_id"])
    _conversation, recipients = await _other_side(conversation_id, payload["sender_organization"])
    alert = message_alert(
        conversation_id, int(payload["message_id"]), payload["sender_organization_name"], payload["body"]
    )
    await deliver(alert, recipients)


async def deal_event_recorded(kind: str, payload: dict[str, Any]) -> None:
    """``deal_recorded``, ``deal_confirmed``, ``deal_declined``: the other organisation's users are told."""
    conversation_id = int(payload["conversation_id"])
    event_id = int(payload["event_id"])
    details: dict[str, Any] = payload.get("details") or {}
    _conversation, recipients = await _other_side(conversation_id, payload["actor_organization"])
    params: dict[str, Any] = {"org": payload["actor_organization_name"]}
    if kind == "deal_recorded":
        keys = ("quantity", "unit", "drc_percent", "unit_price", "price", "currency", "date")
        params.update({k: details[k] for k in keys if k in details})
    elif kind == "deal_declined":
        params.update({"reason": details.get("reason"), "text": details.get("text") or ""})
    await deliver(Alert(kind, f"event:{event_id}", params, f"/conversations/{conversation_id}#events"), recipients)


# --- matches ---------------------------------------------------------------------------------------------------
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
        Match.request.updated_at.as_alias("request_updated_at"),
        Match.request.organization.as_alias("buyer_org"),
        Match.request.organization.name.as_alias("buyer_name"),
        # Reached through the match, with offer_/producer_ prefixes beside the request's fields: not the offer row
        # of app.offers.projection, which is rooted at Offer and names its fields unprefixed.
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


async def pairs_first_matched(request_id: int, offer_ids: list[int], computed_before: Any) -> int:
    """``pairs_first_matched`` (recorded by the matcher with the match records): these offers match the request for the
    first time (no match record of the pair existed, not even a withdrawn one). Tell whoever the change concerns;
    returns how many users were notified.

    ``computed_before`` is when the request's matches were computed before this time (None: never). What changed
    since then is what made the pairs match:

    - the request is new, or changed since (``updated_at`` after that time): the producers of the offers get
      "a new request fits your offer", once per request;
    - an offer was posted or changed since: the buyer gets "a new offer matches your request", once per pair, when
      the match scores at least ``OFFER_ALERT_MIN_SCORE``. A request's first recommendations are not announced to
      its own buyer (they are on the page the buyer is looking at).

    A recomputation that finds pairs for any other reason (another request posted, a page view, a certificate
    verified, the passing of time) names no change, so it tells nobody.
    """
    if not offer_ids:
        return 0
    rows = await Match.select(*match_alert_columns()).where(
        (Match.request == request_id) & Match.offer.is_in(offer_ids) & (Match.status == "recommended")
    )
    if not rows or rows[0]["request_status"] != "open":
        return 0
    before = _aware(computed_before) if computed_before is not None else None
    request_changed = before is None or _aware(rows[0]["request_updated_at"]) > before
    notified = 0
    if request_changed:
        producers: dict[int, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: -float(r["score"])):
            producers.setdefault(row["producer_org"], row)  # one alert per producer, naming its best-fitting offer
        for org, row in producers.items():
            notified += len(await deliver(request_fit_alert(row), await org_users([org], "producer")))
    if before is not None:
        buyers = await org_users([rows[0]["buyer_org"]], "buyer")
        for row in rows:
            if _aware(row["offer_updated_at"]) > before and row["score"] >= OFFER_ALERT_MIN_SCORE:
                notified += len(await deliver(offer_match_alert(row), buyers))
    return notified


# --- saved searches --------------------------------------------------------------------------------------------
async def record_offer_changes(request_refs: set[str], offer_refs: set[str]) -> None:
    """Sync hook (inside the sync's transaction): offers just applied to the index, for the saved-search check."""
    if offer_refs:
        moment = now()
        # One flat statement (Piccolo's insert builds a Table object per row: 20 s for the 100,000 offers of a bulk
        # import); in chunks well under the databases' parameter limits.
        rows = [{"offer_ref": ref, "created_at": moment} for ref in sorted(offer_refs)]
        for start in range(0, len(rows), 5000):
            await insert_rows(AlertOfferChange, rows[start : start + 5000])


async def _take_changes(limit: int) -> list[dict[str, Any]]:
    if isinstance(engine(), PostgresEngine):
        return await AlertOfferChange.raw(
            "SELECT id, offer_ref, created_at FROM alert_offer_change ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
            limit,
        )
    return await AlertOfferChange.select().order_by(AlertOfferChange.id).limit(limit)


async def saved_search_alerts(backend: SearchBackend, limit: int = 2000) -> int:
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


async def _check_saved_searches(backend: SearchBackend, changes: list[dict[str, Any]]) -> int:

    if not changes:
        return 0
    # The offer's own change is what counts, not when the sync applied it: a certificate or organisation edit, an
    # import or a rebuild re-indexes offers that are not new to anyone who saved a search after they were posted.
    offers = {
        r["ref"]: r
        for r in await Offer.select(
            *projection.columns(("id", "ref", "title", "updated_at"), ("organization_ref", "organization_name"))
        ).where(Offer.ref.is_in(sorted({c["offer_ref"] for c in changes})))
    }
    if not offers:
        return 0
    searches = await SavedSearch.select().order_by(SavedSearch.id)
    orgs = tuple(sorted({o["organization_ref"] for o in offers.values()}))
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
            if offer is None or _aware(offer["updated_at"]) <= saved_at:
                continue
            alert = Alert(
                "saved_search",
                f"saved-search:{search['id']}:{offer['id']}",
                {"search": search["name"], "offer": offer["title"], "org": offer["organization_name"]},
                f"/offers/{offer['ref']}",
            )
            notified += len(await deliver(alert, [search["user"]]))
    return notified


__all__ = [
    "deal_event_recorded",
    "message_sent",
    "pairs_first_matched",
    "record_offer_changes",
    "saved_search_alerts",
]
