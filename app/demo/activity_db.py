"""Writing the simulated trade (``app.demo.activity``) into the database after the demo import."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from app.accounts.services import hash_password
from app.accounts.tables import Organization, User
from app.certificates.tables import Certificate
from app.db import atomic, engine
from app.demo.activity import certificate_reviews, simulate
from app.events import muted
from app.matching.services import compute_matches
from app.matching.tables import Match
from app.messaging.tables import Conversation, MatchEvent, Message
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from search_index.backend import SearchBackend

CHUNK = 500
MAX_MATCHED_REQUESTS = 400


def _postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


async def backdate(now: dt.datetime, seed: int) -> None:
    """Spread organisations (12-24 months ago), offers (last 12) and requests (last 9) over the past, by id and seed."""
    salt = 7919 + seed % 1000
    for table, oldest, newest in (("organization", 730, 365), ("offer", 540, 1), ("sourcing_request", 270, 1)):
        days = f"({newest} + (id * {salt}) % {oldest - newest})"
        minutes = "((id * 131) % 1440)"
        if _postgres():
            value = f"{{}}::timestamptz - ({days} * interval '1 day') - ({minutes} * interval '1 minute')"
        else:
            value = f"datetime({{}}, '-' || {days} || ' days', '-' || {minutes} || ' minutes') || '+00:00'"
        stamp = now if _postgres() else now.strftime("%Y-%m-%d %H:%M:%S")
        updated = ", updated_at = created_at" if table != "organization" else ""
        await Offer.raw(f"UPDATE {table} SET created_at = {value}", stamp)
        if updated:
            await Offer.raw(f"UPDATE {table} SET {updated.lstrip(', ')}")


async def review_certificates(now: dt.datetime, seed: int) -> int:
    """Staff verification of the imported certificates, as the staff queue would have left it (after ``backdate``,
    before the search index is built): most verified by the staff account, some waiting. How many were verified."""
    staff = await User.select(User.id).where(User.role == "staff").order_by(User.id).first()
    if staff is None:
        return 0
    showcase = await User.select(User.organization).where(User.role == "producer").order_by(User.id).first()
    joined = {r["id"]: r["created_at"] for r in await Organization.select(Organization.id, Organization.created_at)}
    certificates = await Certificate.select(Certificate.id, Certificate.organization, Certificate.issued_on)
    for cert in certificates:
        if isinstance(cert["issued_on"], str):
            cert["issued_on"] = dt.date.fromisoformat(cert["issued_on"])
    reviews = certificate_reviews(
        seed,
        certificates,
        now=now,
        joined={k: v if v.tzinfo else v.replace(tzinfo=dt.UTC) for k, v in joined.items()},
        staff_user=staff["id"],
        showcase_org=showcase["organization"] if showcase else None,
    )
    async with atomic():
        for review in reviews:
            await Certificate.update(
                {
                    Certificate.verification: review["verification"],
                    Certificate.verified_by: review["verified_by"],
                    Certificate.verified_at: review["verified_at"],
                    Certificate.rejection_reason: "",
                    Certificate.created_at: review["created_at"],
                    Certificate.updated_at: review["updated_at"],
                }
            ).where(Certificate.id == review["id"])
    return sum(1 for r in reviews if r["verification"] == "verified")


async def compute_recommendations(backend: SearchBackend) -> int:
    """Run the real matcher for the open requests (the newest first, at most MAX_MATCHED_REQUESTS).

    Alerts stay off: these recommendations belong to the simulated past (the demo accounts' inboxes are seeded
    apart, by ``app.demo.inbox``)."""

    refs = (
        await SourcingRequest.select(SourcingRequest.ref)
        .where(SourcingRequest.status == "open")
        .order_by(SourcingRequest.created_at, ascending=False)
        .limit(MAX_MATCHED_REQUESTS)
    )
    with muted("pairs_first_matched"):
        for r in refs:
            await compute_matches(r["ref"], backend)
    # A recommendation is made when its request is posted (plus a little).
    await Match.raw(
        "UPDATE match SET created_at = (SELECT r.created_at FROM sourcing_request r WHERE r.id = match.request),"
        " updated_at = (SELECT r.created_at FROM sourcing_request r WHERE r.id = match.request)"
    )
    return len(refs)


async def _actors() -> dict[int, int]:
    """One user per organisation to act for it: its first user, or a simulated member that cannot sign in."""

    actors = {
        r["organization"]: r["id"]
        for r in await User.select(User.organization, User.id).order_by(User.id, ascending=False)
    }
    orgs = await Organization.select(Organization.id, Organization.ref, Organization.kind).where(
        Organization.kind.is_in(["producer", "buyer", "both"])
    )
    # Nobody knows this password: the simulated members exist only to sign their messages.
    unusable = hash_password(secrets.token_urlsafe(32))
    missing = [o for o in orgs if o["id"] not in actors]
    rows = [
        User(
            email=f"team.{o['ref'][:200]}@simulated.forestmatch.org".lower(),
            name="",
            password_hash=unusable,
            role="producer" if o["kind"] == "producer" else "buyer",
            organization=o["id"],
            is_active=True,
        )
        for o in missing
    ]
    for start in range(0, len(rows), CHUNK):
        await User.insert(*rows[start : start + CHUNK])
    for r in await User.select(User.organization, User.id).where(User.email.like("%@simulated.forestmatch.org")):
        actors.setdefault(r["organization"], r["id"])
    return actors


async def _next_id(table: type[Table]) -> int:
    rows = await table.raw(f"SELECT COALESCE(MAX(id), 0) + 1 AS n FROM {table._meta.tablename}")
    return int(rows[0]["n"])


async def insert_rows(table: type[Table], rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert with ids given; PostgreSQL's sequence is moved past them afterwards."""
    for start in range(0, len(rows), CHUNK):
        await table.insert(*[table(**row) for row in rows[start : start + CHUNK]])
    if _postgres() and rows:
        name = table._meta.tablename
        await table.raw(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM {name}))")


async def load_activity(
    seed: int, backend: SearchBackend, *, now: dt.datetime | None = None, conversations: int | None = None
) -> str:
    """Compute recommendations and add the simulated trade (after ``backdate``); a summary line."""
    now = now or dt.datetime.now(dt.UTC)
    matched = await compute_recommendations(backend)
    offers = await Offer.select(
        Offer.id,
        Offer.organization,
        Offer.category,
        Offer.unit,
        Offer.drc_percent,
        Offer.quantity_canonical,
        Offer.price_amount,
        Offer.price_currency,
        Offer.created_at,
        Offer.organization.country.as_alias("country"),
    )
    requests = await SourcingRequest.select(
        SourcingRequest.id, SourcingRequest.organization, SourcingRequest.quantity_canonical, SourcingRequest.created_at
    )
    matches = await Match.select(Match.id, Match.request, Match.offer, Match.created_at).where(
        Match.status == "recommended"
    )
    staff = await User.select(User.id).where(User.role == "staff").order_by(User.id).first()
    actors = await _actors()
    count = conversations if conversations is not None else min(5000, max(60, len(offers) * 2 // 5))
    activity = simulate(
        seed,
        now=now,
        offers=offers,
        requests=requests,
        matches=matches,
        actors=actors,
        staff_user=staff["id"] if staff else None,
        conversations=count,
        next_ids=(await _next_id(Conversation), await _next_id(Message), await _next_id(MatchEvent)),
    )
    async with atomic():
        await insert_rows(Conversation, activity.conversations)
        await insert_rows(Message, activity.messages)
        await insert_rows(MatchEvent, activity.events)
    deals = sum(1 for e in activity.events if e["state"] == "deal_closed")
    return (
        f"simulated trade: {matched} requests matched, {len(activity.conversations)} conversations, "
        f"{len(activity.messages)} messages, {len(activity.events)} events, {deals} deals"
    )
