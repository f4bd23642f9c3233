"""The demo's lot-backed trade: latex offers of the rubber groups naming the processed lots they hold (the claim and
quantity each lot derives, as stored after the traceability import), and one confirmed deal of the demo buyer on a
lot-backed offer of the demo group, so the badge, the EUDR filter, the staff measurement and the buyer's
due-diligence file can be seen.

Offers go through the import (the same rules as any partner's document); the deal through the messaging services,
with its notifications muted like the rest of the demo's past trade."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.events import muted
from app.imports.services import import_document
from app.messaging import services as messaging
from app.traceability.tables import Lot, LotResult

FORMAT = "forestmatch/1"
#: Price of a kg of dry rubber by the collector's country (what the demo's latex offers ask).
PRICES = {"BR": ("BRL", "12.40"), "MX": ("MXN", "41.00"), "GT": ("GTQ", "17.50")}
TITLES = {
    "BR": "Borracha TSR 10 rastreável ({claim})",
    "MX": "Hule TSR 10 trazable ({claim})",
    "GT": "Hule TSR 10 trazable ({claim})",
}
#: Events that would tell the demo accounts about trade that happened "before" they looked.
QUIET = ("message_sent", "deal_recorded", "deal_confirmed")


async def _processed_lots(holder_ids: list[int]) -> list[dict[str, Any]]:
    """Processed lots of these holders that are EUDR-ready and carry an FSC claim, with their answers."""
    return (
        await LotResult.select(
            LotResult.lot.ref.as_alias("ref"),
            LotResult.lot.holder.as_alias("holder"),
            LotResult.lot.output_dry_kg.as_alias("dry_kg"),
            LotResult.lot.product_type.as_alias("product_type"),
            LotResult.claim,
            LotResult.certified_percent,
        )
        .where(
            LotResult.lot.holder.is_in(holder_ids)
            & (LotResult.eudr_ready == True)  # noqa: E712 - SQL
            & LotResult.claim.is_in(["FSC 100%", "FSC Mix"])
            & (LotResult.lot.process == "tsr")
        )
        .order_by(LotResult.lot.ref)
    )


async def lot_backed_offers(today: dt.date) -> list[str]:
    """Import one active latex offer per EUDR-ready processed lot a rubber group holds, under its group certificate;
    answers the offer refs."""
    certs = {
        r["organization"]: r["ref"]
        for r in await Certificate.select(Certificate.organization, Certificate.ref).where(
            (Certificate.is_group == True) & (Certificate.status == "valid")  # noqa: E712 - SQL
        )
    }
    groups = await Organization.select(
        Organization.id, Organization.ref, Organization.country, Organization.lat, Organization.lon
    ).where(Organization.id.is_in(list(certs) or [0]) & (Organization.kind == "producer"))
    by_id = {g["id"]: g for g in groups}
    offers = []
    for lot in await _processed_lots(list(by_id)):
        org = by_id[lot["holder"]]
        currency, amount = PRICES.get(org["country"], ("USD", "2.40"))
        claim = lot["claim"] if lot["claim"] != "FSC Mix" else f"FSC Mix {lot['certified_percent']} %"
        offers.append(
            {"ref": f"offer-{lot['ref']}", "organization": org["ref"], "certificate": certs[org["id"]],
             "category": "latex", "product_type": lot["product_type"], "species": ["Hevea brasiliensis"],
             "title": TITLES.get(org["country"], "TSR 10 ({claim})").format(claim=claim), "claim": lot["claim"],
             "quantity": math.floor(float(lot["dry_kg"])), "unit": "kg_drc", "lots": [lot["ref"]],
             "available_from": today.isoformat(), "available_to": (today + dt.timedelta(days=120)).isoformat(),
             "lat": org["lat"], "lon": org["lon"], "price": {"amount": amount, "currency": currency, "per": "kg_drc"},
             "incoterm": "FCA", "status": "active"}
        )  # fmt: skip
    if offers:
        await import_document({"format": FORMAT, "offers": offers})
    return [o["ref"] for o in offers]


async def confirmed_lot_deal(buyer: CurrentUser, group: CurrentUser, offer_refs: list[str], today: dt.date) -> str:
    """The demo buyer asks for, and the demo group confirms, a deal on the group's first FSC 100 % lot-backed offer:
    the buyer can then download that lot's due-diligence file. Answers a line for the demo's summary."""
    rows = (
        await LotResult.select(LotResult.lot.ref.as_alias("ref"), LotResult.claim)
        .where(LotResult.lot.holder == group.organization_id)
        .order_by(LotResult.lot.ref)
    )
    full = [f"offer-{r['ref']}" for r in rows if r["claim"] == "FSC 100%" and f"offer-{r['ref']}" in offer_refs]
    if not full:
        return "no lot-backed deal (no FSC 100% lot of the demo group)"
    offer_ref = full[0]
    lot = await Lot.select(Lot.output_dry_kg).where(Lot.ref == offer_ref.removeprefix("offer-")).first()
    quantity = max(1, math.floor(float(lot["output_dry_kg"]) / 2)) if lot else 1
    currency, amount = PRICES.get(group.organization_country or "BR", ("USD", "2.40"))
    with muted(*QUIET):
        thread = await messaging.start_conversation(
            buyer, offer_ref, message="Nos interesa este lote trazable. ¿Pueden enviar una muestra?"
        )
        deal = await messaging.record_deal(
            buyer,
            thread,
            {
                "quantity": str(quantity),
                "unit": "kg_drc",
                "unit_price": amount,
                "currency": currency,
                "date": today.isoformat(),
                "invoice": "NF-e 000.812",
                "accept_price": "1",
            },  # fmt: skip
        )
        await messaging.confirm_deal(group, deal)
    return f"1 confirmed deal on lot-backed offer {offer_ref} (conversation {thread})"
