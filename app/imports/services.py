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
from app.certificates.services import back_to_queue, needs_reverification, status_change
from app.certificates.tables import Certificate
from app.clock import now
from app.db import atomic
from app.events import record_changes
from app.i18n import N_
from app.i18n import gettext as _
from app.imports.export import export_document
from app.imports.reading import MAX_DOCUMENT_BYTES, UnreadableDocument, parse_document
from app.imports.trace_writing import (
    TraceChanges,
    check_offers_lots,
    derive_again,
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
    """A certificate whose checked facts change goes back to the verification queue, as from the form; a changed
    status is dated as from the form."""
    return {**(back_to_queue() if needs_reverification(row, values) else {}), **status_change(row, values)}


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
            new_rows.append(ref)
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
    # Row objects are made a chunk at a time: tens of thousands of them at once cost hundreds of MB.
    for start in range(0, len(new_rows), CHUNK):
        await table.insert(*(table(ref=ref, **values_by_ref[ref]) for ref in new_rows[start : start + CHUNK]))
    # The search sync picks these up after commit (a certificate or organisation change re-indexes its offers).
    if section in OUTBOX_ENTITY:
        await record_changes(OUTBOX_ENTITY[section], changed)
    if changed_out is not None:
        changed_out += changed
    ids = await _existing(table, refs, table.ref, table.id)
    return {ref: row["id"] for ref, row in ids.items()}


async def import_document(doc: Any, progress: Progress | None = None) -> ImportSummary:
    """Validate the whole document, then write it in one transaction (all or nothing). The document and its plan are
    let go before the records are derived again (a caller that no longer holds the document frees its memory)."""
    plan = await validate_document(doc)
    del doc
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
    del plan
    await derive_again(summary.trace, changed_certs, changed_orgs)  # after commit: see derive_again
    return summary
