"""What the import needs around the traceability sections (``app.imports.writing`` writes their records): each lot's
inputs replaced only when they differ (so importing the same document twice changes nothing), the collector links
imported deliveries imply, deriving again after commit, the sections of an export, and the offers' lot claims."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from app.imports.traceability import CHUNK
from app.imports.validation import ImportRejected, Problem
from app.traceability.links import ensure_links
from app.traceability.offer_lots import lot_facts, lot_problems
from app.traceability.services import recompute_for
from app.traceability.tables import Delivery, Lot, LotInput, Member, Plot

logger = logging.getLogger(__name__)


@dataclass
class TraceChanges:
    """Refs of the traceability records an import created or changed (what the derived results depend on)."""

    members: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.members or self.plots or self.deliveries or self.lots)


async def replace_inputs(lot_ids: dict[str, int], wanted: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Write each lot's inputs where they differ from the stored ones; returns the refs of the lots changed."""
    stored: dict[int, list[tuple[Any, ...]]] = {}
    ids = sorted(lot_ids[ref] for ref in wanted)
    for start in range(0, len(ids), CHUNK):
        rows = (
            await LotInput.select(LotInput.lot, LotInput.delivery, LotInput.source_lot, LotInput.dry_kg)
            .where(LotInput.lot.is_in(ids[start : start + CHUNK]))
            .order_by(LotInput.lot)
            .order_by(LotInput.position)
        )
        for row in rows:
            dry = float(row["dry_kg"]) if row["dry_kg"] is not None else None
            stored.setdefault(row["lot"], []).append((row["delivery"], row["source_lot"], dry))
    changed: list[str] = []
    new_rows: list[LotInput] = []
    for ref, inputs in wanted.items():
        lot_id = lot_ids[ref]
        if stored.get(lot_id, []) == inputs:
            continue
        changed.append(ref)
        await LotInput.delete().where(LotInput.lot == lot_id)
        new_rows += [
            LotInput(lot=lot_id, position=n, delivery=delivery, source_lot=source, dry_kg=dry)
            for n, (delivery, source, dry) in enumerate(inputs)
        ]
    for start in range(0, len(new_rows), CHUNK):
        await LotInput.insert(*new_rows[start : start + CHUNK])
    return changed


async def link_collectors(deliveries: list[dict[str, Any]]) -> None:
    """The importer vouches for the deliveries it creates or changes: each one's collector may from now on find its
    member's group (an unchanged delivery imported again does not undo a group's removing a collector)."""
    by_member: dict[int, set[int]] = {}
    for values in deliveries:
        if values["member"] is not None:
            by_member.setdefault(values["member"], set()).add(values["collector"])
    ids = sorted(by_member)
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(ids), CHUNK):
        rows = await Member.select(Member.id, Member.group).where(Member.id.is_in(ids[start : start + CHUNK]))
        pairs.update((row["group"], collector) for row in rows for collector in by_member[row["id"]])
    await ensure_links(pairs)


async def derive_again(trace: TraceChanges, certificates: list[str], organizations: list[str]) -> None:
    """Derive again the plot checks and lots an import touched (run after its commit).

    Derived answers are a cache of the records, and deriving thousands of lots must not hold the write lock; a lot
    read before this finishes is derived on the spot (``lot_answer``), so nothing reads a stale answer."""
    if not (trace.any() or certificates or organizations):
        return
    try:
        await recompute_for(
            members=trace.members,
            plots=trace.plots,
            deliveries=trace.deliveries,
            lots=trace.lots,
            certificates=certificates,
            organizations=organizations,
        )
    except Exception:  # the import is committed: report it as done, and let each lot be derived when it is read
        logger.exception("deriving the lots touched by an import failed")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


async def export_traceability() -> dict[str, list[dict[str, Any]]]:
    """The traceability sections of ``forestmatch export``, in the fields TRACEABILITY.md names."""
    members = await Member.select(Member.all_columns(), Member.group.ref.as_alias("group_ref")).order_by(Member.id)
    plots = (
        await Plot.select(Plot.all_columns(), Plot.member.ref.as_alias("member_ref"))
        .order_by(Plot.id)
        .output(load_json=True)
    )
    deliveries = await Delivery.select(
        Delivery.all_columns(),
        Delivery.collector.ref.as_alias("collector_ref"),
        Delivery.member.ref.as_alias("member_ref"),
        Delivery.plot.ref.as_alias("plot_ref"),
    ).order_by(Delivery.id)
    lots = await Lot.select(Lot.all_columns(), Lot.holder.ref.as_alias("holder_ref")).order_by(Lot.id)
    inputs: dict[int, list[dict[str, Any]]] = {}
    for row in (
        await LotInput.select(
            LotInput.lot,
            LotInput.dry_kg,
            LotInput.delivery.ref.as_alias("delivery_ref"),
            LotInput.source_lot.ref.as_alias("lot_ref"),
        )
        .order_by(LotInput.lot)
        .order_by(LotInput.position)
    ):
        item = (
            {"delivery": row["delivery_ref"]}
            if row["delivery_ref"]
            else {"lot": row["lot_ref"], "dry_kg": _number(row["dry_kg"])}
        )
        inputs.setdefault(row["lot"], []).append(item)
    return {
        "members": [
            {
                "ref": m["ref"],
                "group": m["group_ref"],
                "name": m["name"],
                "member_code": m["member_code"],
                "country": m["country"] or None,
                "region": m["region"] or None,
                "locality": m["locality"] or None,
                "certified_from": _iso(m["certified_from"]),
                "certified_to": _iso(m["certified_to"]),
                "consent_share_identity": bool(m["consent_share_identity"]),
            }
            for m in members
        ],
        "plots": [
            {
                "ref": p["ref"],
                "member": p["member_ref"],
                "geometry": p["geometry"],
                "area_ha": _number(p["area_ha"]),
                "planted_year": p["planted_year"],
                "country": p["country"] or None,
            }
            for p in plots
        ],
        "deliveries": [
            {
                "ref": d["ref"],
                "collector": d["collector_ref"],
                "member": d["member_ref"],
                "plot": d["plot_ref"],
                "date": _iso(d["date"]),
                "form": d["form"],
                "wet_kg": _number(d["wet_kg"]),
                "drc_percent": _number(d["drc_percent"]),
                "dry_kg": _number(d["dry_kg"]),
            }
            for d in deliveries
        ],
        "lots": [
            {
                "ref": lot["ref"],
                "holder": lot["holder_ref"],
                "inputs": inputs.get(lot["id"], []),
                "process": lot["process"],
                "product_type": lot["product_type"],
                "output_dry_kg": _number(lot["output_dry_kg"]),
                "date": _iso(lot["date"]),
            }
            for lot in lots
        ],
    }


async def check_offers_lots(offers: dict[str, dict[str, Any]]) -> None:
    """Refuse (ImportRejected, every offer's problems listed) offers claiming more than their lots derive or offering
    more dry rubber than they hold; read inside the import's transaction, so lots of the same document count."""
    named = {ref: values for ref, values in offers.items() if values.get("lots")}
    if not named:
        return
    facts = await lot_facts(sorted({lot for values in named.values() for lot in values["lots"]}))
    problems = [
        Problem("offers", ref, name, message)
        for ref, values in named.items()
        for name, message in lot_problems(
            category=values.get("category", ""),
            claim=values.get("claim", ""),
            quantity_kg=values.get("quantity_canonical"),
            holder=values.get("_organization"),
            refs=values["lots"],
            facts=facts,
        ).items()
    ]
    if problems:
        raise ImportRejected(problems)
