"""Which collectors a group lets record its members' deliveries (``collector_link``).

A collector finds a member (by ref, code or name), sees the member's plots and records a delivery only for the groups
that linked it, and its own members when it is a group collecting for itself. The group's managers (and staff) add and
remove the link; deliveries already recorded stay the collector's own to read after a link is removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.query.functions import Count

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.db import atomic
from app.i18n import gettext as _
from app.traceability.members import GroupScope
from app.traceability.roles import holds_group_certificate
from app.traceability.tables import CollectorLink, Delivery, Member
from app.validation import FieldErrors

#: Collectors offered in the add form's list (typing any other collector's ref still works).
MAX_CHOICES = 500


async def linked_group_ids(collector_id: int) -> list[int]:
    """The groups whose members this organisation may record deliveries for: itself (a group collecting for its own
    members) and every group that linked it."""
    rows = await CollectorLink.select(CollectorLink.group).where(CollectorLink.collector == collector_id)
    return sorted({collector_id, *(r["group"] for r in rows)})


@dataclass(frozen=True)
class LinkedCollector:
    ref: str
    name: str
    country: str
    since: Any
    deliveries: int


async def collectors_of(scope: GroupScope) -> list[LinkedCollector]:
    """The collectors the group linked, by name, with how many of its members' deliveries each recorded."""
    rows = (
        await CollectorLink.select(
            CollectorLink.collector,
            CollectorLink.collector.ref.as_alias("ref"),
            CollectorLink.collector.name.as_alias("name"),
            CollectorLink.collector.country.as_alias("country"),
            CollectorLink.created_at,
        )
        .where(CollectorLink.group == scope.id)
        .order_by(CollectorLink.collector.name)
    )
    counts: dict[int, int] = {}
    if rows:
        recorded = (
            await Delivery.select(Delivery.collector, Count(Delivery.id, alias="n"))
            .where(
                Delivery.collector.is_in([r["collector"] for r in rows])
                & Delivery.member.is_in(Member.select(Member.id).where(Member.group == scope.id))
            )
            .group_by(Delivery.collector)
        )
        counts = {r["collector"]: r["n"] for r in recorded}
    return [
        LinkedCollector(
            ref=r["ref"],
            name=r["name"],
            country=r["country"] or "",
            since=r["created_at"],
            deliveries=counts.get(r["collector"], 0),
        )
        for r in rows
    ]


async def collector_choices(scope: GroupScope) -> list[dict[str, str]]:
    """Organisations of kind collector the group has not linked yet (ref, name), for the add form's list."""
    linked = CollectorLink.select(CollectorLink.collector).where(CollectorLink.group == scope.id)
    return (
        await Organization.select(Organization.ref, Organization.name)
        .where((Organization.kind == "collector") & (Organization.id != scope.id) & Organization.id.not_in(linked))
        .order_by(Organization.name)
        .limit(MAX_CHOICES)
    )


def picked(typed: str) -> str:
    """What a person typed in a field whose list offers "CODE · Name": the code when an entry was picked as is."""
    text = typed.strip()
    return text.split(" · ", 1)[0].strip() if " · " in text else text


async def _collector_named(typed: str) -> dict[str, Any] | None:
    """The organisation typed as "REF · Name", a ref or an exact name, when it may collect latex."""
    text = picked(typed)
    if not text or len(text) > 200:
        return None
    columns = (Organization.id, Organization.ref, Organization.name, Organization.kind)
    found = await Organization.select(*columns).where(Organization.ref == text).first()
    if found is None:
        rows = await Organization.select(*columns).where(Organization.name == text).limit(2)
        found = rows[0] if len(rows) == 1 else None
    if found is None:
        return None
    if found["kind"] == "collector" or await holds_group_certificate(found["id"]):
        return found
    return None


async def add_link(scope: GroupScope, user: CurrentUser, typed: str) -> str:
    """Let a collector record the group's members' deliveries; answers its name. FieldErrors on ``collector``."""
    found = await _collector_named(typed)
    if found is None:
        raise FieldErrors(
            {"collector": _("No collector with this ref or name. Pick one from the list or type its ref.")}
        )
    if found["id"] == scope.id:
        raise FieldErrors({"collector": _("Your group records its own members' deliveries already.")})
    async with atomic():
        exists = await CollectorLink.exists().where(
            (CollectorLink.group == scope.id) & (CollectorLink.collector == found["id"])
        )
        if not exists:
            await CollectorLink.insert(CollectorLink(group=scope.id, collector=found["id"], created_by=user.id))
    return str(found["name"])


async def remove_link(scope: GroupScope, collector_ref: str) -> bool:
    """Stop a collector finding the group's members (its recorded deliveries stay). False when it was not linked."""
    org = await Organization.select(Organization.id).where(Organization.ref == collector_ref.strip()[:100]).first()
    if org is None:
        return False
    async with atomic():
        where = (CollectorLink.group == scope.id) & (CollectorLink.collector == org["id"])
        if not await CollectorLink.exists().where(where):
            return False
        await CollectorLink.delete().where(where)
    return True


async def ensure_links(pairs: set[tuple[int, int]]) -> None:
    """Record (group, collector) links that imported deliveries imply (the importer vouched for them); call inside
    the import's transaction."""
    wanted = {(g, c) for g, c in pairs if g != c}
    if not wanted:
        return
    rows = await CollectorLink.select(CollectorLink.group, CollectorLink.collector).where(
        CollectorLink.collector.is_in(sorted({c for _g, c in wanted}))
    )
    have = {(r["group"], r["collector"]) for r in rows}
    missing = sorted(wanted - have)
    if missing:
        await CollectorLink.insert(*(CollectorLink(group=g, collector=c) for g, c in missing))
