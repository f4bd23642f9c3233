"""Confirmed FSC claims of an organisation for a period: what its certification audit reads, as rows and as CSV.

A claim row is a deal (recorded or corrected by staff) that the other side confirmed, that records an FSC claim and
whose deal date falls in the period; a deal whose confirmed correction exists gives way to that correction. The
figures are those the confirmation vouched for (``details.confirmed``), else the deal's own."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.i18n import gettext as _
from app.messaging.claim_words import claim_values
from app.messaging.tables import Conversation, MatchEvent
from app.validation import Checker, NotFound, PermissionDenied
from app.vocab import ALL_PRODUCT_TYPES, CLAIMS, UNITS, label

SIDES = ("sale", "purchase")
ALL_UNITS = {k: v for units in UNITS.values() for k, v in units.items()}


@dataclass(frozen=True)
class ClaimRow:
    """One confirmed claim as the organisation's audit reads it; ``side`` is 'sale' or 'purchase'."""

    date: str
    invoice: str
    counterparty: str
    certificate_code: str
    claim: str
    certified_percent: int | None
    product_type: str
    species: list[str]
    countries: list[str]
    quantity: float | None
    unit: str
    side: str

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)


@dataclass(frozen=True)
class Period:
    """The organisation and dates a claims listing covers (both dates included)."""

    organization_id: int
    organization_ref: str
    organization_name: str
    start: dt.date
    end: dt.date


async def claims_period(user: CurrentUser, raw: dict[str, Any]) -> Period:
    """Check ``from``/``to`` (ISO dates, both required) and whose claims: the user's organisation, or for staff any
    organisation by ``organization`` ref (NotFound for an unknown one; PermissionDenied for another's otherwise)."""
    c = Checker(raw)
    start, end = c.date_window("from", "to")
    c.raise_if_errors()
    assert start is not None and end is not None
    wanted = (raw.get("organization") or "").strip() if isinstance(raw.get("organization"), str) else ""
    if wanted and wanted != user.organization_ref:
        if not user.is_staff:
            raise PermissionDenied()
        row = (
            await Organization.select(Organization.id, Organization.ref, Organization.name)
            .where(Organization.ref == wanted)
            .first()
        )
        if row is None:
            raise NotFound()
        return Period(row["id"], row["ref"], row["name"], start, end)
    if user.organization_id is None:
        raise PermissionDenied()
    return Period(user.organization_id, user.organization_ref or "", user.organization_name or "", start, end)


async def confirmed_claims(period: Period) -> list[ClaimRow]:
    """The organisation's confirmed claims with a deal date in the period, by date then invoice."""
    org = period.organization_id
    conversations = await Conversation.select(
        Conversation.id,
        Conversation.buyer_organization,
        Conversation.buyer_organization.name.as_alias("buyer_name"),
        Conversation.producer_organization.name.as_alias("producer_name"),
    ).where((Conversation.buyer_organization == org) | (Conversation.producer_organization == org))
    if not conversations:
        return []
    by_id = {c["id"]: c for c in conversations}
    events = (
        await MatchEvent.select(MatchEvent.id, MatchEvent.state, MatchEvent.conversation, MatchEvent.details)
        .where(
            MatchEvent.conversation.is_in(list(by_id))
            & MatchEvent.state.is_in(["deal_closed", "corrected", "deal_confirmed"])
        )
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )
    confirmations = {
        e["details"].get("event_id"): e["details"].get("confirmed") for e in events if e["state"] == "deal_confirmed"
    }
    deals = [e for e in events if e["state"] != "deal_confirmed" and e["id"] in confirmations]
    superseded = {e["details"].get("corrects") for e in deals if e["state"] == "corrected"}
    rows = []
    for e in deals:
        if e["id"] in superseded:
            continue
        details = {**e["details"], **(confirmations[e["id"]] or {})}
        v = claim_values(details)
        date = str(details.get("date") or "")
        if not v["claim"] or not (period.start.isoformat() <= date <= period.end.isoformat()):
            continue
        conversation = by_id[e["conversation"]]
        buying = conversation["buyer_organization"] == org
        quantity = details.get("quantity")
        rows.append(
            ClaimRow(
                date=date,
                invoice=v["invoice"],
                counterparty=conversation["producer_name"] if buying else conversation["buyer_name"],
                certificate_code=v["certificate_code"],
                claim=v["claim"],
                certified_percent=v["certified_percent"],
                product_type=v["product_type"],
                species=v["species"],
                countries=v["countries"],
                quantity=float(quantity) if quantity is not None else None,
                unit=str(details.get("unit") or ""),
                side="purchase" if buying else "sale",
            )
        )
    return sorted(rows, key=lambda r: (r.date, r.invoice))


def side_words(side: str) -> str:
    """'Sale' or 'Purchase' in the reader's language."""
    return _("Purchase") if side == "purchase" else _("Sale")


def _plain_number(value: float | None) -> str:
    # A CSV for auditors' spreadsheets: no grouping, no trailing zeros ("2000", "12.5").
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def claims_csv(rows: list[ClaimRow]) -> str:
    """The rows as CSV: date, invoice, counterparty, certificate code, claim, percent, product type, species,
    countries, quantity, unit, side (headers and words in the reader's language, codes as issued)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("Date"),
            _("Invoice"),
            _("Counterparty"),
            _("Certificate code"),
            _("Claim"),
            _("Percent"),
            _("Product type"),
            _("Species"),
            _("Countries"),
            _("Quantity"),
            _("Unit"),
            _("Side"),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.date,
                r.invoice,
                r.counterparty,
                r.certificate_code,
                label(CLAIMS, r.claim),
                "" if r.certified_percent is None else str(r.certified_percent),
                label(ALL_PRODUCT_TYPES, r.product_type) if r.product_type else "",
                "; ".join(r.species),
                " ".join(r.countries),
                _plain_number(r.quantity),
                label(ALL_UNITS, r.unit) if r.unit else "",
                side_words(r.side),
            ]
        )
    return out.getvalue()


async def organization_choices() -> list[tuple[str, str]]:
    """(ref, name) of every organisation, by name: whose claims staff may pick."""
    rows = await Organization.select(Organization.ref, Organization.name).order_by(Organization.name)
    return [(r["ref"], r["name"]) for r in rows]
