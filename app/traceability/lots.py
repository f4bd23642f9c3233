"""Lots a collector makes from its deliveries and parts of other lots it holds: what it may draw from, writing a lot
with its inputs in one transaction, and the claim derived at once (``services.lot_answer``).

A lot's own fields and the import's per-record checks (inputs known, no lot drawing from itself, no circle of lots)
are applied by ``app.traceability.forms.lot_fields``; this module adds what only a holder may do: draw only from its
own deliveries not yet in a lot and from lots it holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser
from app.db import atomic
from app.i18n import gettext as _
from app.traceability.deliveries import Collector, collector_of, dry_of, may_read_deliveries
from app.traceability.model import LotAnswer
from app.traceability.services import lot_answer
from app.traceability.tables import Delivery, Lot, LotInput, LotResult
from app.validation import FieldErrors, NotFound

PER_PAGE = 50


def new_lot_ref() -> str:
    """A lot ref for the form (kept in a hidden field, so sending the form twice writes one lot)."""
    return f"lot-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class OpenDeliveries:
    rows: list[dict[str, Any]]
    page: int
    more: bool


async def open_deliveries(collector: Collector, page: int = 1, also: list[str] | None = None) -> OpenDeliveries:
    """The collector's deliveries not yet in a lot, recent first, ``PER_PAGE`` a page (plus any of ``also``)."""
    used = LotInput.select(LotInput.delivery).where(LotInput.delivery.is_not_null())
    columns = (
        Delivery.all_columns(),
        Delivery.member.member_code.as_alias("member_code"),
        Delivery.plot.ref.as_alias("plot_ref"),
    )
    rows = (
        await Delivery.select(*columns)
        .where((Delivery.collector == collector.id) & Delivery.id.not_in(used))
        .order_by(Delivery.date, ascending=False)
        .order_by(Delivery.id, ascending=False)
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    )
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    missing = sorted(set(also or []) - {r["ref"] for r in rows})
    if missing:  # ticked on another page or in the day's list: kept on screen so the choice is visible
        rows += await Delivery.select(*columns).where(
            (Delivery.collector == collector.id) & Delivery.ref.is_in(missing[:PER_PAGE]) & Delivery.id.not_in(used)
        )
    for row in rows:
        row["dry"] = dry_of(row)
    return OpenDeliveries(rows=rows, page=page, more=more)


async def held_lots(user: CurrentUser | None) -> list[dict[str, Any]]:
    """Lots held by the user's organisation (staff: every lot), newest first, with the claim last derived."""
    if not await may_read_deliveries(user):
        raise NotFound()
    assert user is not None
    query = Lot.select(
        Lot.ref, Lot.process, Lot.product_type, Lot.output_dry_kg, Lot.date, Lot.holder.name.as_alias("holder_name")
    )
    if not user.is_staff:
        query = query.where(Lot.holder == user.organization_id)
    lots = await query.order_by(Lot.date, ascending=False).order_by(Lot.id, ascending=False).limit(500)
    if lots:
        results = await LotResult.select(
            LotResult.lot.ref.as_alias("ref"), LotResult.claim, LotResult.certified_percent, LotResult.eudr_ready
        ).where(LotResult.lot.ref.is_in([lot["ref"] for lot in lots]))
        by_ref = {r["ref"]: r for r in results}
        for lot in lots:
            lot["result"] = by_ref.get(lot["ref"])
    return lots


async def _holder_errors(collector: Collector, deliveries: list[str], sources: list[str]) -> dict[str, str]:
    """Inputs this holder may not draw from: another collector's delivery, one already in a lot, a lot held by
    someone else."""
    errors: dict[str, str] = {}
    if deliveries:
        rows = await Delivery.select(Delivery.ref, Delivery.collector, Delivery.id).where(
            Delivery.ref.is_in(deliveries)
        )
        foreign = sorted(r["ref"] for r in rows if r["collector"] != collector.id)
        used = await LotInput.select(LotInput.delivery.ref.as_alias("ref")).where(
            LotInput.delivery.is_in([r["id"] for r in rows] or [0])
        )
        if foreign:
            errors["delivery"] = _(
                "Deliveries %(refs)s were not recorded by your organisation.", refs=", ".join(foreign)
            )
        elif used:
            refs = ", ".join(sorted({r["ref"] for r in used}))
            errors["delivery"] = _("Deliveries %(refs)s are already in a lot.", refs=refs)
    for number, ref in enumerate(sources, start=1):
        if not ref:
            continue
        holder = await Lot.select(Lot.holder).where(Lot.ref == ref).first()
        if holder is not None and holder["holder"] != collector.id:
            errors[f"source_lot_{number}"] = _("Lot %(ref)s is not held by your organisation.", ref=ref)
    return errors


async def create_lot(user: CurrentUser, clean: dict[str, Any], field_errors: dict[str, str]) -> tuple[str, bool]:
    """Write a lot and its inputs (all or nothing) and derive its claim; returns (ref, created).

    ``clean`` and ``field_errors`` come from ``app.traceability.forms.lot_fields``; sending the same form again (same
    ref, same holder) answers the lot written the first time."""
    collector = await collector_of(user)
    ref = clean["ref"]
    existing = await Lot.select(Lot.holder).where(Lot.ref == ref).first()
    if existing is not None:
        if existing["holder"] != collector.id:
            raise NotFound()
        return ref, False
    inputs: list[tuple[str | None, str | None, float | None]] = clean["inputs"]
    deliveries = [d for d, _lot, _kg in inputs if d]
    errors = {**field_errors}
    for name, message in (await _holder_errors(collector, deliveries, clean["source_slots"])).items():
        errors.setdefault(name, message)
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        lot_id = (
            await Lot.insert(
                Lot(
                    ref=ref,
                    holder=collector.id,
                    process=clean["process"],
                    product_type=clean["product_type"],
                    output_dry_kg=clean["output_dry_kg"],
                    date=clean["date"],
                )
            ).returning(Lot.id)
        )[0]["id"]
        delivery_ids = {
            r["ref"]: r["id"]
            for r in await Delivery.select(Delivery.ref, Delivery.id).where(Delivery.ref.is_in(deliveries or [""]))
        }
        sources = [s for _d, s, _kg in inputs if s]
        lot_ids = {r["ref"]: r["id"] for r in await Lot.select(Lot.ref, Lot.id).where(Lot.ref.is_in(sources or [""]))}
        await LotInput.insert(
            *[
                LotInput(
                    lot=lot_id,
                    position=n,
                    delivery=delivery_ids[d] if d else None,
                    source_lot=lot_ids[s] if s else None,
                    dry_kg=kg,
                )
                for n, (d, s, kg) in enumerate(inputs)
            ]
        )
    await lot_answer(ref)
    return ref, True


async def saved_lot(user: CurrentUser | None, ref: str) -> tuple[dict[str, Any], LotAnswer]:
    """A lot and its derived answer, for its holder (or staff); NotFound for anyone else."""
    if not await may_read_deliveries(user):
        raise NotFound()
    assert user is not None
    lot = await Lot.select(Lot.ref, Lot.holder, Lot.output_dry_kg, Lot.date).where(Lot.ref == ref).first()
    if lot is None or not (user.is_staff or lot["holder"] == user.organization_id):
        raise NotFound()
    return lot, await lot_answer(ref)
