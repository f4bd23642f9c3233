"""Bulk data in the public format ``forestmatch/1`` (../shared/IMPORT_FORMAT.md): validate, import, export.

The whole document is validated before anything is written; a document with any problem is rejected with
every problem listed (section, ref, field, message). A valid document is written in one transaction,
matched by ``ref``: new records are created, changed ones updated in place, identical ones left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.accounts.tables import Organization
from app.certificates.services import back_to_queue, needs_reverification
from app.certificates.tables import Certificate
from app.clock import now
from app.db import atomic
from app.events import record_changes
from app.i18n import N_
from app.i18n import gettext as _
from app.imports.reading import MAX_DOCUMENT_BYTES, UnreadableDocument, parse_document
from app.imports.trace_writing import (
    TraceChanges,
    check_offers_lots,
    derive_again,
    export_traceability,
    write_traceability,
)
from app.imports.traceability import TRACE_SECTIONS
from app.imports.validation import (
    CHUNK,
    CORE_SECTIONS,
    FORMAT,
    SECTIONS,
    ImportRejected,
    Plan,
    Problem,
    validate_document,
)
from app.offers import projection
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest

__all__ = [
    "FORMAT",
    "MAX_DOCUMENT_BYTES",
    "SECTIONS",
    "ImportRejected",
    "ImportSummary",
    "Plan",
    "Problem",
    "UnreadableDocument",
    "export_document",
    "import_document",
    "parse_document",
    "validate_document",
]

OUTBOX_ENTITY = {
    "organizations": "organization",
    "certificates": "certificate",
    "offers": "offer",
    "requests": "request",
}

Progress = Callable[[int, int], None]
#: Extra column values for an updated row: (stored row, new values) -> changes
OnUpdate = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


@dataclass
class ImportSummary:
    #: The sections reported: the four of IMPORT_FORMAT.md always, a traceability section when the document has it.
    sections: tuple[str, ...] = CORE_SECTIONS
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    #: What the traceability sections created or changed (the lots to derive again).
    trace: TraceChanges = field(default_factory=TraceChanges)

    def __post_init__(self) -> None:
        for counts in (self.created, self.updated, self.unchanged):
            for section in self.sections:
                counts.setdefault(section, 0)

    def line(self) -> str:
        """One line per import, in the current language (the section names are the document's keys)."""
        parts = [
            _(
                "%(section)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged",
                section=_(SECTION_NAMES[s]),
                created=self.created[s],
                updated=self.updated[s],
                unchanged=self.unchanged[s],
            )
            for s in self.sections
        ]
        return "; ".join(parts)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


#: Section names as read in reports (the keys stay English in the document); "document" is where problems of the
#: document as a whole are listed.
SECTION_NAMES = {
    "document": N_("document"),
    "organizations": N_("organizations"),
    "certificates": N_("certificates"),
    "offers": N_("offers"),
    "requests": N_("requests"),
    "members": N_("members"),
    "plots": N_("plots"),
    "deliveries": N_("deliveries"),
    "lots": N_("lots"),
}


async def _existing(table: Any, refs: list[str], *columns: Any) -> dict[str, dict[str, Any]]:
    """Rows already in the database for these refs, keyed by ref."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        rows = await table.select(*columns).where(table.ref.is_in(chunk)).output(load_json=True)
        found.update({r["ref"]: r for r in rows})
    return found


def _certificate_update(row: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A certificate whose checked facts change goes back to the verification queue, as from the form."""
    return back_to_queue() if needs_reverification(row, values) else {}


def _same(existing: dict[str, Any], values: dict[str, Any]) -> bool:
    """True when an update would change nothing (so a re-import leaves the record untouched)."""
    for key, value in values.items():
        current = existing.get(key)
        if isinstance(current, Decimal) or isinstance(value, Decimal):
            if (current is None) != (value is None):
                return False
            if current is not None and Decimal(str(current)) != Decimal(str(value)):
                return False
        elif isinstance(current, float) or isinstance(value, float):
            if (current is None) != (value is None):
                return False
            if current is not None and abs(float(current) - float(value)) > 1e-9:
                return False
        elif isinstance(current, dt.datetime) and isinstance(value, dt.date):
            return False
        elif current != value:
            return False
    return True


async def _upsert(
    table: Any,
    values_by_ref: dict[str, dict[str, Any]],
    section: str,
    summary: ImportSummary,
    progress: Progress | None,
    done: list[int],
    total: int,
    on_update: OnUpdate | None = None,
    changed_out: list[str] | None = None,
) -> dict[str, int]:
    """Create or update rows by ref; returns ref -> id for every record of the section."""
    refs = list(values_by_ref)
    existing = await _existing(table, refs, *table.all_columns())
    new_rows = []
    changed: list[str] = []
    for ref, values in values_by_ref.items():
        row = existing.get(ref)
        if row is None:
            new_rows.append(table(ref=ref, **values))
            summary.created[section] += 1
            changed.append(ref)
        elif _same(row, values):
            summary.unchanged[section] += 1
        else:
            extra = on_update(row, values) if on_update else {}
            await table.update({**values, **extra, "updated_at": now()}).where(table.id == row["id"])
            summary.updated[section] += 1
            changed.append(ref)
        done[0] += 1
        if progress and (done[0] % 200 == 0 or done[0] == total):
            progress(done[0], total)
    for start in range(0, len(new_rows), CHUNK):
        await table.insert(*new_rows[start : start + CHUNK])
    # The search sync picks these up after commit (a certificate or organisation change re-indexes its offers).
    if section in OUTBOX_ENTITY:
        await record_changes(OUTBOX_ENTITY[section], changed)
    if changed_out is not None:
        changed_out += changed
    ids = await _existing(table, refs, table.ref, table.id)
    return {ref: row["id"] for ref, row in ids.items()}


async def import_document(doc: Any, progress: Progress | None = None) -> ImportSummary:
    """Validate the whole document, then write it in one transaction (all or nothing)."""
    plan = await validate_document(doc)
    summary = ImportSummary(sections=(*CORE_SECTIONS, *(s for s in TRACE_SECTIONS if getattr(plan, s))))
    total = plan.total()
    done = [0]
    async with atomic():
        changed_orgs: list[str] = []
        changed_certs: list[str] = []
        org_ids = await _upsert(
            Organization, plan.organizations, "organizations", summary, progress, done, total, changed_out=changed_orgs
        )
        missing_orgs = {
            v["_organization"] for s in ("certificates", "offers", "requests") for v in getattr(plan, s).values()
        } - set(org_ids)
        if missing_orgs:
            org_ids.update(
                {
                    r["ref"]: r["id"]
                    for r in (
                        await _existing(Organization, list(missing_orgs), Organization.ref, Organization.id)
                    ).values()
                }
            )

        def owned(values: dict[str, Any]) -> dict[str, Any]:
            clean = {k: v for k, v in values.items() if not k.startswith("_")}
            clean["organization"] = org_ids[values["_organization"]]
            return clean

        certs = {ref: owned(v) for ref, v in plan.certificates.items()}
        cert_ids = await _upsert(
            Certificate,
            certs,
            "certificates",
            summary,
            progress,
            done,
            total,
            on_update=_certificate_update,
            changed_out=changed_certs,
        )
        missing_certs = {v["_certificate"] for v in plan.offers.values()} - set(cert_ids)
        if missing_certs:
            cert_ids.update(
                {
                    r["ref"]: r["id"]
                    for r in (
                        await _existing(Certificate, list(missing_certs), Certificate.ref, Certificate.id)
                    ).values()
                }
            )
        offers = {ref: {**owned(v), "certificate": cert_ids[v["_certificate"]]} for ref, v in plan.offers.items()}
        await _upsert(Offer, offers, "offers", summary, progress, done, total)
        requests = {ref: owned(v) for ref, v in plan.requests.items()}
        await _upsert(SourcingRequest, requests, "requests", summary, progress, done, total)

        async def upsert(table: Any, values: dict[str, dict[str, Any]], section: str, out: list[str]) -> dict[str, int]:
            return await _upsert(table, values, section, summary, progress, done, total, changed_out=out)

        summary.trace, inputs_changed = await write_traceability(plan, org_ids, upsert)
        await check_offers_lots(plan.offers)  # lots are derived from what was just written; raising rolls back
        if inputs_changed:  # a lot whose inputs alone changed was counted unchanged by the upsert
            summary.unchanged["lots"] -= len(inputs_changed)
            summary.updated["lots"] += len(inputs_changed)
    await derive_again(summary.trace, changed_certs, changed_orgs)  # after commit: see derive_again
    return summary


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _num(value: Any) -> float | int | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


async def export_document() -> dict[str, Any]:
    """Everything ForestMatch holds, in the bulk format (users and program staff excluded)."""
    today = dt.date.today()
    orgs = (
        await Organization.select()
        .where(Organization.kind != "program")
        .order_by(Organization.id)
        .output(load_json=True)
    )
    certs = (
        await Certificate.select(Certificate.all_columns(), Certificate.organization.ref.as_alias("organization_ref"))
        .order_by(Certificate.id)
        .output(load_json=True)
    )
    offers = (
        await Offer.select(*projection.columns(None, ("organization_ref", "certificate_ref")))
        .order_by(Offer.id)
        .output(load_json=True)
    )
    requests = (
        await SourcingRequest.select(
            SourcingRequest.all_columns(), SourcingRequest.organization.ref.as_alias("organization_ref")
        )
        .order_by(SourcingRequest.id)
        .output(load_json=True)
    )
    return {
        "format": FORMAT,
        "organizations": [
            {
                "ref": o["ref"],
                "name": o["name"],
                "kind": o["kind"],
                "legal_form": o["legal_form"] or None,
                "country": o["country"] or None,
                "region": o["region"] or None,
                "locality": o["locality"] or None,
                "lat": o["lat"],
                "lon": o["lon"],
                "languages": o["languages"] or [],
                "contact_email": o["contact_email"] or None,
                "description": o["description"] or None,
            }
            for o in orgs
        ],
        "certificates": [
            {
                "ref": c["ref"],
                "organization": c["organization_ref"],
                "code": c["code"],
                "license_code": c["license_code"] or None,
                "scope": c["scope"],
                # A certificate past its expiry date is expired, whatever status it was given while it ran.
                "status": "expired" if c["status"] == "valid" and c["expires_on"] < today else c["status"],
                "issued_on": _iso(c["issued_on"]),
                "expires_on": _iso(c["expires_on"]),
                "product_types": c["product_types"] or [],
                "group": bool(c["is_group"]),
            }
            for c in certs
        ],
        "offers": [
            {
                "ref": o["ref"],
                "organization": o["organization_ref"],
                "certificate": o["certificate_ref"],
                "category": o["category"],
                "product_type": o["product_type"],
                "species": o["species"] or [],
                "title": o["title"],
                "description": o["description"] or None,
                "claim": o["claim"],
                "quantity": _num(o["quantity"]),
                "unit": o["unit"],
                **({"drc_percent": o["drc_percent"]} if o["drc_percent"] is not None else {}),
                "min_order": _num(o["min_order"]),
                "available_from": _iso(o["available_from"]),
                "available_to": _iso(o["available_to"]),
                "lat": o["lat"],
                "lon": o["lon"],
                "price": (
                    {
                        "amount": f"{Decimal(str(o['price_amount'])):.2f}",
                        "currency": o["price_currency"],
                        "per": o["price_per"],
                    }
                    if o["price_amount"] is not None
                    else None
                ),
                "incoterm": o["incoterm"] or None,
                "status": o["status"],
                **({"lots": list(o["lots"])} if o.get("lots") else {}),
            }
            for o in offers
        ],
        "requests": [
            {
                "ref": r["ref"],
                "organization": r["organization_ref"],
                "title": r["title"] or None,
                "category": r["category"],
                "product_types": r["product_types"] or [],
                "species": r["species"] or [],
                "accepted_claims": r["accepted_claims"] or [],
                "quantity": _num(r["quantity"]),
                "unit": r["unit"],
                **({"drc_percent": r["drc_percent"]} if r["drc_percent"] is not None else {}),
                "min_per_supplier": _num(r["min_per_supplier"]),
                "partial_ok": bool(r["partial_ok"]),
                **({"require_eudr_ready": True} if r.get("require_eudr_ready") else {}),
                "delivery": {
                    "country": r["delivery_country"] or None,
                    "region": r["delivery_region"] or None,
                    "lat": r["delivery_lat"],
                    "lon": r["delivery_lon"],
                    "place": r["delivery_place"] or None,
                },
                "max_distance_km": r["max_distance_km"],
                "needed_from": _iso(r["needed_from"]),
                "needed_by": _iso(r["needed_by"]),
                "status": r["status"],
            }
            for r in requests
        ],
        **await export_traceability(),
    }
