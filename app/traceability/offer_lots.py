"""Offers backed by lots: which lots an offer may name, the claim and quantity they allow, the badge
("traceable to N smallholders, EUDR-ready") and whether a visitor may read a lot through a listed offer.

An offer may never claim more than its lots derive (TRACEABILITY.md); the same rules run for the form, the API and
the import, and again on the offer page when a lot's answer has changed since (offers are never changed silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.i18n import format_number
from app.i18n import gettext as _
from app.offers.tables import Offer
from app.traceability.services import derive, load_checked_graph, store_result
from app.traceability.tables import Lot, LotResult
from app.validation import FieldErrors, NotFound
from app.vocab import CLAIMS, label

#: Most lots one offer may name.
MAX_LOTS = 50
#: Claims a lot can derive, strongest first; an offer claim not listed here cannot come from lots.
FSC_100 = "FSC 100%"
FSC_MIX = "FSC Mix"
#: Offer claims lots may back, and the lot claims each needs (credit and controlled claims sit below a Mix lot).
NEEDS: dict[str, frozenset[str]] = {
    FSC_100: frozenset({FSC_100}),
    FSC_MIX: frozenset({FSC_100, FSC_MIX}),
    "FSC Mix Credit": frozenset({FSC_100, FSC_MIX}),
    "FSC Controlled Wood": frozenset({FSC_100, FSC_MIX}),
}


@dataclass(frozen=True)
class LotFacts:
    """What an offer reads of one lot: its derived answer and the members behind it."""

    ref: str
    holder: str
    claim: str | None
    certified_percent: int | None
    dry_kg: float
    eudr_ready: bool
    members: frozenset[str]


@dataclass(frozen=True)
class Backing:
    """The badge of a lot-backed offer: distinct smallholders behind its lots and whether every lot is EUDR-ready."""

    lots: tuple[str, ...]
    smallholders: int
    eudr_ready: bool
    #: The lowest certified share of the lots when every lot derives a claim (100 for an FSC 100% lot), else None:
    #: what an offer claiming FSC Mix shows beside its claim ("FSC Mix 68 %").
    certified_percent: int | None = None

    def mix_percent(self, claim: str | None) -> int | None:
        """The percentage to show beside the offer's claim: only for FSC Mix."""
        return self.certified_percent if claim == FSC_MIX else None


def lowest_percent(lots: list[tuple[str | None, int | None]]) -> int | None:
    """The lowest certified share of lots given as (claim, certified_percent); None when any lot has no claim."""
    if not lots or any(claim is None for claim, _percent in lots):
        return None
    return min(100 if claim == FSC_100 else (percent or 0) for claim, percent in lots)


def read_lot_refs(value: Any) -> tuple[list[str], str | None]:
    """The lot refs an offer names (a list, or one comma-separated text) and the problem with them, if any."""
    if value is None or value == "" or value == []:
        return [], None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return [], _("Give the lots as a list of lot refs.")
    refs = list(dict.fromkeys(v.strip()[:100] for v in value))
    if len(refs) > MAX_LOTS:
        return [], _("An offer may name at most %(max)s lots.", max=MAX_LOTS)
    return refs, None


async def lot_facts(refs: list[str]) -> dict[str, LotFacts]:
    """Each known lot's answer as derived from its records now (stored too); unknown refs are left out."""
    found: dict[str, LotFacts] = {}
    for ref in refs:
        try:
            graph = await load_checked_graph(ref)
        except NotFound:
            continue
        answer = derive(graph)
        await store_result(graph.lot_id, answer)
        drawn = [graph.deliveries[r] for r in graph.drawn if r in graph.deliveries]
        found[ref] = LotFacts(
            ref=ref,
            holder=answer.holder,
            claim=answer.claim,
            certified_percent=answer.certified_percent,
            dry_kg=answer.dry_kg,
            eudr_ready=answer.eudr_ready,
            members=frozenset(d.member for d in drawn if d.member),
        )
    return found


def lot_problems(
    *,
    category: str,
    claim: str,
    quantity_kg: float | None,
    holder: str | None,
    refs: list[str],
    facts: dict[str, LotFacts],
) -> dict[str, str]:
    """Field -> problem for an offer naming ``refs``: latex only, lots known and held by the offer's organisation,
    a claim no stronger than every lot derives, a quantity (kg DRC) within the lots' output dry kg."""
    if not refs:
        return {}
    if category != "latex":
        return {"lots": _("Only latex offers can name lots.")}
    unknown = [r for r in refs if r not in facts or (holder is not None and facts[r].holder != holder)]
    if unknown:
        return {"lots": _("Your organisation holds no lot %(refs)s.", refs=", ".join(unknown))}
    errors: dict[str, str] = {}
    lots = [facts[r] for r in refs]
    unclaimed = [lot.ref for lot in lots if lot.claim is None]
    if unclaimed:
        errors["claim"] = _(
            "Lot %(refs)s carries no FSC claim: an offer from these lots cannot carry an FSC claim.",
            refs=", ".join(unclaimed),
        )
    elif claim not in NEEDS:
        errors["claim"] = _("Lots of latex cannot back the claim %(claim)s.", claim=label(CLAIMS, claim))
    else:
        short = [lot for lot in lots if lot.claim not in NEEDS[claim]]
        if short:
            errors["claim"] = _(
                "Lot %(ref)s derives only %(lot_claim)s: the offer cannot claim %(claim)s.",
                ref=short[0].ref,
                lot_claim=label(CLAIMS, short[0].claim),
                claim=label(CLAIMS, claim),
            )
    total = sum(lot.dry_kg for lot in lots)
    if quantity_kg is not None and quantity_kg > total + 1e-6:
        errors["quantity"] = _(
            "The quantity (%(quantity)s kg dry rubber) is more than the lots hold (%(total)s kg dry).",
            quantity=f"{quantity_kg:,.0f}",
            total=f"{total:,.0f}",
        )
    return errors


async def check_offer_lots(holder: str | None, clean: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    """The lot refs of a valid offer (``clean`` from ``check_offer``), or FieldErrors saying what the lots refuse."""
    refs, problem = read_lot_refs(raw.get("lots"))
    if problem:
        raise FieldErrors({"lots": problem}, raw)
    errors = lot_problems(
        category=clean.get("category", ""),
        claim=clean.get("claim", ""),
        quantity_kg=clean.get("quantity_canonical"),
        holder=holder,
        refs=refs,
        facts=await lot_facts(refs),
    )
    if errors:
        raise FieldErrors(errors, raw)
    return refs


async def offer_lot_warnings(offer: dict[str, Any]) -> list[str]:
    """What the offer's lots no longer back (their answers changed since it was saved), for its producer."""
    refs = list(offer.get("lots") or [])
    if not refs:
        return []
    errors = lot_problems(
        category=offer.get("category", ""),
        claim=offer.get("claim", ""),
        quantity_kg=offer.get("quantity_canonical"),
        holder=offer.get("organization_ref"),
        refs=refs,
        facts=await lot_facts(refs),
    )
    return list(errors.values())


async def backing(refs: list[str] | None) -> Backing | None:
    """The badge facts of an offer naming ``refs`` (None when it names no known lot)."""
    facts = await lot_facts(list(refs or []))
    if not facts:
        return None
    members = frozenset().union(*(f.members for f in facts.values()))
    return Backing(
        lots=tuple(facts),
        smallholders=len(members),
        eudr_ready=len(facts) == len(refs or []) and all(f.eudr_ready for f in facts.values()),
        certified_percent=lowest_percent([(f.claim, f.certified_percent) for f in facts.values()]),
    )


#: "The offer names lots and every one is EUDR-ready as last derived", as SQL over ``offer o`` per database engine
#: (the offer list's filter runs where the data lives).
_EUDR_READY = (
    "(json_array_length(o.lots) > 0 AND NOT EXISTS (SELECT 1 FROM {each} WHERE NOT EXISTS"
    " (SELECT 1 FROM lot l JOIN lot_result r ON r.lot = l.id WHERE l.ref = {value} AND r.eudr_ready)))"
)
#: The lot refs an offer ``o`` names, as a table ``ol`` and its value column, per database engine.
_EACH_LOT = {
    "sqlite": {"each": "json_each(o.lots) AS ol", "value": "ol.value"},
    "postgres": {"each": "json_array_elements_text(o.lots) AS ol(v)", "value": "ol.v"},
}
EUDR_READY_SQL = {engine: _EUDR_READY.format(**parts) for engine, parts in _EACH_LOT.items()}

#: Distinct (root lot ref, member id) of the deliveries each root lot draws through its tree of lots.
_MEMBERS_SQL = """
WITH RECURSIVE tree(root, lot_id) AS (
  SELECT l.ref, l.id FROM lot l WHERE l.ref IN ({marks})
  UNION
  SELECT t.root, i.source_lot FROM tree t JOIN lot_input i ON i.lot = t.lot_id WHERE i.source_lot IS NOT NULL
)
SELECT DISTINCT t.root AS root, d.member AS member
FROM tree t JOIN lot_input i ON i.lot = t.lot_id JOIN delivery d ON d.id = i.delivery
WHERE d.member IS NOT NULL
"""


async def stored_backings(named: dict[str, list[str]]) -> dict[str, Backing]:
    """The badge of each of these offers (ref -> lot refs) from the lots' stored answers, without deriving them
    again (the offer list shows a page of cards): offers naming no known lot are left out."""
    wanted = sorted({lot for lots in named.values() for lot in lots})
    if not wanted:
        return {}
    results = await LotResult.select(
        LotResult.lot.ref.as_alias("ref"), LotResult.claim, LotResult.certified_percent, LotResult.eudr_ready
    ).where(LotResult.lot.ref.is_in(wanted))
    answers = {r["ref"]: r for r in results}
    members: dict[str, set[int]] = {}
    rows = await Lot.raw(_MEMBERS_SQL.format(marks=", ".join("{}" for _ in wanted)), *wanted)
    for row in rows:
        members.setdefault(row["root"], set()).add(row["member"])
    found: dict[str, Backing] = {}
    for ref, lots in named.items():
        known = [lot for lot in lots if lot in answers]
        if not known:
            continue
        found[ref] = Backing(
            lots=tuple(known),
            smallholders=len(set().union(*(members.get(lot, set()) for lot in known))),
            eudr_ready=len(known) == len(lots) and all(answers[lot]["eudr_ready"] for lot in known),
            certified_percent=lowest_percent([(answers[x]["claim"], answers[x]["certified_percent"]) for x in known]),
        )
    return found


async def held_lot_options(organization_id: int | None) -> list[tuple[str, str]]:
    """(ref, label) of the lots an organisation holds, newest first, each with its last derived claim and dry kg."""
    if organization_id is None:
        return []
    lots = (
        await Lot.select(Lot.id, Lot.ref, Lot.output_dry_kg)
        .where(Lot.holder == organization_id)
        .order_by(Lot.date, ascending=False)
    )
    if not lots:
        return []
    results = await LotResult.select(LotResult.lot, LotResult.claim).where(LotResult.lot.is_in([r["id"] for r in lots]))
    claims = {r["lot"]: r["claim"] for r in results}
    return [
        (
            r["ref"],
            _(
                "%(ref)s · %(claim)s · %(kg)s kg dry",
                ref=r["ref"],
                claim=label(CLAIMS, claims[r["id"]]) if claims.get(r["id"]) else _("No FSC claim"),
                kg=format_number(r["output_dry_kg"], 0),
            ),
        )
        for r in lots
    ]


async def eudr_ready_offer_refs() -> list[str]:
    """Refs of latex offers whose lots are all EUDR-ready as last derived (the offer list's filter)."""
    rows = await Offer.select(Offer.ref, Offer.lots).where(Offer.category == "latex").output(load_json=True)
    return sorted(await eudr_ready_among({row["ref"]: list(row["lots"] or []) for row in rows if row["lots"]}))


async def eudr_ready_among(named: dict[str, list[str]]) -> set[str]:
    """Of these offers (ref -> lot refs), those whose lots are all EUDR-ready as last derived."""
    named = {ref: lots for ref, lots in named.items() if lots}
    wanted = sorted({lot for lots in named.values() for lot in lots})
    ready: set[str] = set()
    for start in range(0, len(wanted), 500):
        results = await LotResult.select(LotResult.lot.ref.as_alias("ref"), LotResult.eudr_ready).where(
            LotResult.lot.ref.is_in(wanted[start : start + 500])
        )
        ready |= {r["ref"] for r in results if r["eudr_ready"]}
    return {ref for ref, lots in named.items() if all(lot in ready for lot in lots)}


_NAMING_SQL = {
    engine: "SELECT o.ref AS ref FROM offer o WHERE o.category = 'latex' AND o.lots IS NOT NULL "
    f"AND EXISTS (SELECT 1 FROM {parts['each']} WHERE {parts['value']} IN ({{marks}}))"
    for engine, parts in _EACH_LOT.items()
}
#: Lot refs per statement (well under SQLite's bound-parameter limit).
NAMING_CHUNK = 500


async def offers_naming(lot_refs: list[str]) -> list[str]:
    """Refs of the latex offers that name any of these lots (the lots' JSON list read in SQL, not in Python)."""
    wanted = sorted(set(lot_refs))
    sql = _NAMING_SQL["postgres" if Offer._meta.db.engine_type == "postgres" else "sqlite"]
    found: set[str] = set()
    for start in range(0, len(wanted), NAMING_CHUNK):
        chunk = wanted[start : start + NAMING_CHUNK]
        rows = await Offer.raw(sql.format(marks=", ".join("{}" for _ in chunk)), *chunk)
        found.update(row["ref"] for row in rows)
    return sorted(found)


async def lots_of_offer(offer_id: int | None) -> list[str]:
    """The refs of the lots offer ``offer_id`` names, in its order ([] for an unknown offer)."""
    if offer_id is None:
        return []
    row = await Offer.select(Offer.lots).where(Offer.id == offer_id).output(load_json=True).first()
    return [str(ref) for ref in (row["lots"] if row else None) or []]
