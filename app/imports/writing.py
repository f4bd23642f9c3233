"""Writing a checked ``forestmatch/1`` document inside the import's transaction, a chunk of records at a time:
matched by ``ref`` (new records created, changed ones updated in place, identical ones left alone), every ref a
record names turned into an id through a cache that holds refs, never records, so a streamed document of a million
records is written in bounded memory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.accounts.tables import Organization
from app.certificates.services import back_to_queue, needs_reverification, status_change
from app.certificates.tables import Certificate
from app.clock import now
from app.db import engine, insert_rows
from app.events import record_changes
from app.i18n import N_
from app.i18n import gettext as _
from app.imports.trace_writing import TraceChanges, link_collectors, replace_inputs
from app.imports.traceability import readable_ref
from app.imports.validation import CHUNK, CORE_SECTIONS
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from app.traceability.tables import Delivery, Lot, Member, Plot

OUTBOX_ENTITY = {
    "organizations": "organization",
    "certificates": "certificate",
    "offers": "offer",
    "requests": "request",
}

Progress = Callable[[int, int], None]
#: Refs per table whose ids the writer keeps between chunks (past it the cache starts again).
ID_CACHE = 50_000
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
    """Rows already in the database for these refs, keyed by ref (only the refs stored are read through Piccolo: on
    a first import, none)."""
    stored = await stored_ids(table, refs)
    refs = [ref for ref in refs if ref in stored]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        rows = await table.select(*columns).where(table.ref.is_in(chunk)).output(load_json=True)
        found.update({r["ref"]: r for r in rows})
    return found


async def stored_ids(table: Any, refs: Iterable[str]) -> dict[str, int]:
    """ref -> id of the rows of ``table`` stored under these refs.

    Inside a transaction (every import is), one flat statement per CHUNK refs on its connection: Piccolo's
    ``is_in`` converts and quotes each value and compiles a query per chunk (a third of the writing's own time at
    100,000 offers, for lookups that mostly find nothing). Outside one, through Piccolo."""
    refs = list(refs)
    found: dict[str, int] = {}
    db = engine()
    txn = db.current_transaction.get()
    name, ref, key = table._meta.tablename, table.ref._meta.db_column_name, table.id._meta.db_column_name
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        if txn is None:
            rows = await table.select(table.ref, table.id).where(table.ref.is_in(chunk))
            found.update({r["ref"]: r["id"] for r in rows})
        elif isinstance(db, PostgresEngine):
            rows = await txn.connection.fetch(f'SELECT "{ref}", "{key}" FROM "{name}" WHERE "{ref}" = ANY($1)', chunk)
            found.update({r[0]: r[1] for r in rows})
        else:
            marks = ", ".join(["?"] * len(chunk))
            sql = f'SELECT "{ref}" AS ref, "{key}" AS id FROM "{name}" WHERE "{ref}" IN ({marks})'
            rows = await txn.connection.execute_fetchall(sql, chunk)
            found.update({r["ref"]: r["id"] for r in rows})
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
    want_ids: bool = True,
) -> dict[str, int]:
    """Create or update rows by ref; returns ref -> id for every record of the section (nothing unless
    ``want_ids``)."""
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
    # One statement per chunk (CHUNK rows of at most ~20 columns stay under the databases' parameter limits).
    for start in range(0, len(new_rows), CHUNK):
        await insert_rows(table, [{"ref": ref, **values_by_ref[ref]} for ref in new_rows[start : start + CHUNK]])
    # The search sync picks these up after commit (a certificate or organisation change re-indexes its offers). A new
    # organisation or certificate has no offer indexed yet: the offers written with it have events of their own, and
    # the lots it may touch are derived again after the import (derive_again), so only changed ones are recorded.
    if section in OUTBOX_ENTITY:
        created = set(new_rows) if section in ("organizations", "certificates") else set()
        await record_changes(OUTBOX_ENTITY[section], [ref for ref in changed if ref not in created])
    if changed_out is not None:
        changed_out += changed
    if not want_ids:
        return {}
    return await stored_ids(table, refs)


def _values(clean: dict[str, Any], **more: Any) -> dict[str, Any]:
    """The columns of a clean record (its ``_`` keys are for the writing only), plus ``more``."""
    values = {k: v for k, v in clean.items() if k[:1] != "_"}
    values.update(more)
    return values


def _named(clean: dict[str, Any], name: str) -> str | None:
    """The ref a traceability record names in field ``name`` (read from its raw record)."""
    return readable_ref(clean["_raw"].get(name))


@dataclass
class Writer:
    """Writes the chunks of a checked document, section after section, and keeps what the end of the import needs:
    the refs changed (to derive again and to re-index) and the offers that name lots (checked once lots exist)."""

    summary: ImportSummary
    progress: Progress | None
    total: int
    done: list[int] = field(default_factory=lambda: [0])
    #: table -> ref -> id, of the records written and of the stored ones named so far
    ids: dict[Any, dict[str, int]] = field(
        default_factory=lambda: {t: {} for t in (Organization, Certificate, Member, Plot, Lot)}
    )
    #: the organisations and certificates created or changed, to derive again the lots they touch: only kept when
    #: deliveries were stored before the import (``track_groups``; the document's own deliveries are derived anyway)
    changed_orgs: list[str] = field(default_factory=list)
    changed_certs: list[str] = field(default_factory=list)
    track_groups: bool = True
    offers_with_lots: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: lots counted unchanged whose inputs alone changed
    inputs_changed: list[str] = field(default_factory=list)

    async def known(self, table: Any, refs: set[str | None]) -> dict[str, int]:
        """The id cache of ``table``, holding every ref of ``refs`` that is stored (a cache past ID_CACHE refs is
        emptied first: a million refs are looked up again a chunk at a time rather than held)."""
        cache = self.ids[table]
        if len(cache) > ID_CACHE:
            cache.clear()
        cache.update(await stored_ids(table, sorted(r for r in refs if r and r not in cache)))
        return cache

    async def _upsert(
        self,
        table: Any,
        values: dict[str, dict[str, Any]],
        section: str,
        changed_out: list[str],
        on_update: OnUpdate | None = None,
    ) -> None:
        cache = self.ids.get(table)
        ids = await _upsert(
            table,
            values,
            section,
            self.summary,
            self.progress,
            self.done,
            self.total,
            on_update,
            changed_out,
            want_ids=cache is not None,
        )
        if cache is not None:
            if len(cache) > ID_CACHE:
                cache.clear()
            cache.update(ids)

    async def write(self, section: str, chunk: dict[str, dict[str, Any]]) -> None:
        """Write one chunk of clean records of ``section`` (sections in the order of SECTIONS)."""
        trace = self.summary.trace
        if section == "organizations":
            await self._upsert(Organization, chunk, section, self.changed_orgs if self.track_groups else [])
            return
        if section in ("certificates", "offers", "requests"):
            orgs = await self.known(Organization, {v["_organization"] for v in chunk.values()})
            values = {ref: _values(v, organization=orgs[v["_organization"]]) for ref, v in chunk.items()}
            if section == "certificates":
                await self._upsert(
                    Certificate,
                    values,
                    section,
                    self.changed_certs if self.track_groups else [],
                    on_update=_certificate_update,
                )
            elif section == "offers":
                certs = await self.known(Certificate, {v["_certificate"] for v in chunk.values()})
                for ref, v in chunk.items():
                    values[ref]["certificate"] = certs[v["_certificate"]]
                    if v.get("lots"):
                        self.offers_with_lots[ref] = v
                await self._upsert(Offer, values, section, [])
            else:
                await self._upsert(SourcingRequest, values, section, [])
            return
        field_name = {"members": "group", "deliveries": "collector", "lots": "holder"}.get(section)
        orgs = await self.known(Organization, {_named(v, field_name) for v in chunk.values()}) if field_name else {}
        if section == "members":
            values = {ref: {**_values(v), "group": orgs[_named(v, "group") or ""]} for ref, v in chunk.items()}
            await self._upsert(Member, values, section, trace.members)
        elif section == "plots":
            members = await self.known(Member, {_named(v, "member") for v in chunk.values()})
            values = {ref: {**_values(v), "member": members[_named(v, "member") or ""]} for ref, v in chunk.items()}
            await self._upsert(Plot, values, section, trace.plots)
        elif section == "deliveries":
            members = await self.known(Member, {_named(v, "member") for v in chunk.values()})
            plots = await self.known(Plot, {_named(v, "plot") for v in chunk.values()})

            def optional(ids: dict[str, int], ref: str | None) -> int | None:
                return ids[ref] if ref else None

            values = {
                ref: {
                    **_values(v),
                    "collector": orgs[_named(v, "collector") or ""],
                    "member": optional(members, _named(v, "member")),
                    "plot": optional(plots, _named(v, "plot")),
                }
                for ref, v in chunk.items()
            }
            changed: list[str] = []
            await self._upsert(Delivery, values, section, changed)
            await link_collectors([values[ref] for ref in changed])
            trace.deliveries += changed
        elif section == "lots":
            values = {ref: {**_values(v), "holder": orgs[_named(v, "holder") or ""]} for ref, v in chunk.items()}
            await self._upsert(Lot, values, section, trace.lots)

    async def write_inputs(self, chunk: dict[str, dict[str, Any]]) -> None:
        """Write the inputs of a chunk of lots, once every lot of the document is written (a lot may draw from one
        listed after it); a lot whose inputs alone changed counts as updated."""
        lot_refs: set[str | None] = {*chunk, *(r for v in chunk.values() for r in _input_refs(v, "lot"))}
        lots = await self.known(Lot, lot_refs)
        # Looked up per chunk, never cached: there may be millions.
        deliveries = await stored_ids(Delivery, sorted({r for v in chunk.values() for r in _input_refs(v, "delivery")}))
        wanted = {ref: _inputs(v, deliveries, lots) for ref, v in chunk.items()}
        changed = [ref for ref in await replace_inputs(lots, wanted) if ref not in self.summary.trace.lots]
        if changed:
            await Lot.update({Lot.updated_at: now()}).where(Lot.ref.is_in(changed))
            self.summary.trace.lots += changed
            self.inputs_changed += changed
            self.summary.unchanged["lots"] -= len(changed)
            self.summary.updated["lots"] += len(changed)


def _input_refs(clean: dict[str, Any], name: str) -> list[str]:
    return [r for item in clean["_raw"]["inputs"] if (r := readable_ref(item.get(name)))]


def _inputs(clean: dict[str, Any], deliveries: dict[str, int], lots: dict[str, int]) -> list[tuple[Any, ...]]:
    """A lot's inputs as (delivery id, source lot id, dry kg), in document order."""
    rows: list[tuple[Any, ...]] = []
    for item in clean["_raw"]["inputs"]:
        delivery, source = readable_ref(item.get("delivery")), readable_ref(item.get("lot"))
        if delivery:
            rows.append((deliveries[delivery], None, None))
        elif source:
            rows.append((None, lots[source], float(item["dry_kg"])))
    return rows
