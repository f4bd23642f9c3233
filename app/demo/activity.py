"""Simulated months of trade for the demo: conversations, messages, match events and deals, deterministic by seed.

``simulate`` is pure: from the records already loaded (offers, requests, their matches) and a seed it returns the
rows to add, following the rules ``app.messaging.services`` applies (a conversation opens with the buyer's first
message and its 'contacted' event, 'replied' at the producer's first message, 'negotiating' at the buyer's next one,
deals recorded by either side and confirmed by the other, a few corrected by staff, declines with a reason; a deal
holds its price per unit and its total, as the deal form records them). ``load_activity`` writes them and spreads the
imported offers and requests over the past year, so the measurement dashboard is alive on first run.
Ids are assigned here, so the same rows can be bulk-written by the benchmark too.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.vocab import BOARD_FEET_PER_M3

UTC = dt.UTC
DECLINE_REASONS = ("price", "quantity", "timing", "quality", "certificate", "distance", "other")
_LATAM = {"MX", "GT", "HN", "PE", "BO", "CO", "EC", "NI", "CR", "PA", "ES"}
_OPENERS = {
    "es": (
        "Buen día, nos interesa su oferta. ¿Tienen disponibilidad para el periodo indicado?",
        "Hola, ¿podrían confirmar volumen, precio y fecha de entrega?",
    ),
    "pt": (
        "Bom dia, temos interesse na sua oferta. Há disponibilidade para o período?",
        "Olá, poderiam confirmar volume, preço e data de entrega?",
    ),
    "en": (
        "Hello, we are interested in your offer. Is the volume available for our delivery window?",
        "Good morning, could you confirm volume, price and delivery date?",
    ),
}
_REPLIES = {
    "es": (
        "Sí, tenemos el volumen. Podemos enviar fotos del lote y el certificado.",
        "Con gusto, le paso la cotización.",
    ),
    "pt": ("Sim, temos o volume. Podemos enviar fotos do lote e o certificado.", "Com prazer, envio a cotação."),
    "en": (
        "Yes, the volume is available. We can send photos of the lot and the certificate.",
        "Happy to send a quote.",
    ),
}
_FOLLOW_UPS = {
    "es": (
        "¿Pueden mejorar el precio si tomamos todo el lote?",
        "De acuerdo con las condiciones, preparemos el contrato.",
    ),
    "pt": (
        "Podem melhorar o preço se levarmos o lote inteiro?",
        "De acordo com as condições, vamos preparar o contrato.",
    ),
    "en": ("Could you improve the price for the whole lot?", "The terms work for us, let us prepare the contract."),
}


@dataclass
class Activity:
    """Rows to insert, ids already assigned; ``match_times`` backdates the matches the simulation used."""

    conversations: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _lang(country: str) -> str:
    return "pt" if country == "BR" else ("es" if country in _LATAM else "en")


def _deal_quantity(rng: random.Random, offer: dict[str, Any], wanted: float | None) -> tuple[str, str, float]:
    """A deal quantity in the offer's unit (as text), the unit, and the same in the canonical unit."""
    canon = float(offer["quantity_canonical"])
    if wanted:
        canon = min(canon, wanted)
    canon *= rng.uniform(0.25, 0.9)
    unit = offer["unit"]
    if unit == "bf":
        typed = canon * BOARD_FEET_PER_M3
    elif unit == "t_drc":
        typed = canon / 1000.0
    elif unit == "kg_latex":
        typed = canon * 100.0 / float(offer["drc_percent"] or 35.0)
    else:
        typed = canon
    digits = 0 if typed >= 20 else 2
    typed = max(round(typed, digits), 1.0 if digits == 0 else 0.01)
    return f"{typed:.{digits}f}", unit, typed


def _price(rng: random.Random, offer: dict[str, Any], typed_quantity: float) -> tuple[str, str, str]:
    """The price of one unit (near the offer's), the total, and the currency, as the deal form records them."""
    amount = offer.get("price_amount")
    currency = offer.get("price_currency") or "USD"
    per_unit = float(amount) * rng.uniform(0.9, 1.05) if amount else rng.uniform(80, 600)
    unit_price = Decimal(per_unit).quantize(Decimal("0.01"))
    return str(unit_price), str((unit_price * Decimal(str(typed_quantity))).quantize(Decimal("0.01"))), currency


def simulate(  # noqa: PLR0913, PLR0915 - one pass over the simulated months reads best as one function
    seed: int,
    *,
    now: dt.datetime,
    offers: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    matches: list[dict[str, Any]],
    actors: dict[int, int],
    staff_user: int | None,
    conversations: int,
    next_ids: tuple[int, int, int] = (1, 1, 1),
    months: int = 9,
    corrections: int = 2,
    view_share: float = 0.45,
) -> Activity:
    """The simulated trade. ``actors`` maps organisation id -> a user id acting for it."""
    rng = random.Random(f"activity-{seed}")
    out = Activity()
    conv_id, msg_id, event_id = next_ids
    start = now - dt.timedelta(days=30 * months)
    offers_by_id = {o["id"]: o for o in offers}
    by_producer: dict[int, list[dict[str, Any]]] = {}
    for o in offers:
        by_producer.setdefault(o["organization"], []).append(o)
    requests_by_id = {r["id"]: r for r in requests}
    match_list = [m for m in matches if m["offer"] in offers_by_id and m["request"] in requests_by_id]
    buyers = sorted({r["organization"] for r in requests})
    opened: set[tuple[int, int]] = set()
    partners: dict[int, list[int]] = {}
    deals: list[dict[str, Any]] = []

    cap = now - dt.timedelta(minutes=1)

    def after(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        return min(moment + delta, cap)

    def event(state: str, actor_org: int, when: dt.datetime, cid: int | None, mid: int | None, **details: Any) -> int:
        nonlocal event_id
        out.events.append(
            {
                "id": event_id,
                "match": mid,
                "conversation": cid,
                "state": state,
                "actor": actors.get(actor_org),
                "actor_organization": actor_org,
                "at": when,
                "details": details,
            }
        )
        event_id += 1
        return event_id - 1

    def message(cid: int, org: int, when: dt.datetime, body: str) -> None:
        nonlocal msg_id
        out.messages.append(
            {
                "id": msg_id,
                "conversation": cid,
                "sender": actors.get(org),
                "sender_organization": org,
                "body": body,
                "created_at": when,
            }
        )
        msg_id += 1

    # Buyers look at some of their recommendations first (match-level 'viewed' events).
    for m in match_list:
        if rng.random() < view_share:
            buyer = requests_by_id[m["request"]]["organization"]
            since = max(start, m["created_at"])
            event("viewed", buyer, since + (cap - since) * rng.random(), None, m["id"])

    for _i in range(conversations):
        # From a recommendation (60 %), a repeat contact with a known producer (15 %), or an offer found by search.
        mid = request = None
        pick = rng.random()
        if pick < 0.6 and match_list:
            m = rng.choice(match_list)
            mid, offer, request = m["id"], offers_by_id[m["offer"]], requests_by_id[m["request"]]
            buyer = request["organization"]
        elif pick < 0.75 and partners:
            buyer = rng.choice(sorted(partners))
            offer = rng.choice(by_producer[rng.choice(partners[buyer])])
        else:
            buyer, offer = rng.choice(buyers), rng.choice(offers)
        producer = offer["organization"]
        if (buyer, offer["id"]) in opened or buyer == producer or buyer not in actors or producer not in actors:
            continue
        opened.add((buyer, offer["id"]))
        # Not before the offer and request were posted, nor before the simulated months; more contacts lately.
        since = max(start, offer["created_at"], request["created_at"] if request else start)
        t0 = since + (cap - since) * rng.random() * 0.97 if since < cap else cap
        cid = conv_id
        conv_id += 1
        lang = _lang(offer.get("country", ""))
        message(cid, buyer, t0, rng.choice(_OPENERS[lang]))
        event("contacted", buyer, t0, cid, mid)
        last = t0
        if rng.random() < 0.72:
            last = after(last, dt.timedelta(hours=min(math.exp(rng.gauss(2.0, 1.1)), 240)))
            message(cid, producer, last, rng.choice(_REPLIES[lang]))
            event("replied", producer, last, cid, mid)
            if rng.random() < 0.7:
                last = after(last, dt.timedelta(hours=rng.uniform(2, 96)))
                message(cid, buyer, last, _FOLLOW_UPS[lang][0])
                event("negotiating", buyer, last, cid, mid)
                last = after(last, dt.timedelta(hours=rng.uniform(1, 48)))
                message(cid, producer, last, rng.choice(_REPLIES[lang]))
                if rng.random() < 0.5:
                    last = after(last, dt.timedelta(days=rng.uniform(1, 20)))
                    recorder, other = (buyer, producer) if rng.random() < 0.6 else (producer, buyer)
                    message(cid, recorder, last, _FOLLOW_UPS[lang][1])
                    wanted = float(request["quantity_canonical"]) if request else None
                    typed, unit, number = _deal_quantity(rng, offer, wanted)
                    unit_price, price, currency = _price(rng, offer, number)
                    details: dict[str, Any] = {"quantity": float(typed), "unit": unit}
                    if unit == "kg_latex":
                        details["drc_percent"] = float(offer["drc_percent"] or 35.0)
                    details.update({"unit_price": unit_price, "price": price, "currency": currency})
                    details["date"] = last.date().isoformat()
                    deal = event("deal_closed", recorder, last, cid, mid, **details)
                    deals.append({"id": deal, "conversation": cid, "match": mid, "details": details, "at": last})
                    partners.setdefault(buyer, []).append(producer)
                    if rng.random() < 0.8:
                        last = after(last, dt.timedelta(hours=rng.uniform(1, 72)))
                        event("deal_confirmed", other, last, cid, mid, event_id=deal)
                elif rng.random() < 0.5:
                    last = after(last, dt.timedelta(days=rng.uniform(1, 15)))
                    event(
                        "declined",
                        rng.choice((buyer, producer)),
                        last,
                        cid,
                        mid,
                        reason=rng.choice(DECLINE_REASONS),
                        text="",
                    )
        elif rng.random() < 0.3:
            last = after(last, dt.timedelta(days=rng.uniform(10, 25)))
            event("declined", buyer, last, cid, mid, reason="timing", text="")
        out.conversations.append(
            {
                "id": cid,
                "buyer_organization": buyer,
                "producer_organization": producer,
                "offer": offer["id"],
                "request": request["id"] if request else None,
                "match": mid,
                "created_by": actors.get(buyer),
                "created_at": t0,
                "last_message_at": last,
            }
        )

    # Staff correct a couple of deals (a typo in the price): the correction carries the figures that count.
    if staff_user is not None:
        for corrected in rng.sample(deals, min(corrections, len(deals))):
            fixed_price = (Decimal(corrected["details"]["unit_price"]) * Decimal("0.9")).quantize(Decimal("0.01"))
            total = (fixed_price * Decimal(str(corrected["details"]["quantity"]))).quantize(Decimal("0.01"))
            fixed = {
                **corrected["details"],
                "unit_price": str(fixed_price),
                "price": str(total),
                "corrects": corrected["id"],
                "note": "Price per invoice",
            }
            when = after(corrected["at"], dt.timedelta(days=2))
            out.events.append(
                {
                    "id": event_id,
                    "match": corrected["match"],
                    "conversation": corrected["conversation"],
                    "state": "corrected",
                    "actor": staff_user,
                    "actor_organization": None,
                    "at": when,
                    "details": fixed,
                }
            )
            event_id += 1
    return out


#: Share of certificates waiting in the staff queue: edited lately (a renewal or a change sends a certificate back
#: for checking, as ``app.certificates.services.update_certificate`` does) or issued in the last weeks.
PENDING_SHARE = 0.15
RECENT_ISSUE_DAYS = 14


def certificate_reviews(
    seed: int,
    certificates: list[dict[str, Any]],
    *,
    now: dt.datetime,
    joined: dict[int, dt.datetime],
    staff_user: int,
    showcase_org: int | None = None,
    pending_share: float = PENDING_SHARE,
) -> list[dict[str, Any]]:
    """When each imported certificate was registered and what staff verification made of it, deterministic by seed.

    ``certificates`` are rows with id, organization, issued_on; ``joined`` maps organisation id -> when it joined.
    Each certificate is registered when its organisation joined or when it was issued, whichever is later. Most
    were then verified by ``staff_user`` within a month, the fields set as ``verify_certificate`` sets them
    (verification, verified_by, verified_at, updated_at); the rest wait in the queue (pending, no verifier, no date),
    last changed a few days ago. ``showcase_org`` (the demo producer) gets one of each when it holds two or more.
    Returns one dict per certificate: id, verification, verified_by, verified_at, created_at, updated_at.
    """
    rng = random.Random(f"certificate-reviews-{seed}")
    cap = now - dt.timedelta(hours=1)
    ordered = sorted(certificates, key=lambda c: c["id"])
    pending = {c["id"] for c in ordered if rng.random() < pending_share}
    pending |= {c["id"] for c in ordered if (now.date() - c["issued_on"]).days < RECENT_ISSUE_DAYS}
    showcase = [c["id"] for c in ordered if c["organization"] == showcase_org]
    if len(showcase) >= 2:
        pending -= {showcase[0]}
        pending |= {showcase[-1]}
    if ordered and len(pending) == len(ordered):  # always something verified to show
        pending.discard(ordered[0]["id"])
    reviews: list[dict[str, Any]] = []
    for cert in ordered:
        issued = dt.datetime.combine(cert["issued_on"], dt.time(9), tzinfo=UTC)
        registered = max(joined.get(cert["organization"], issued), issued) + dt.timedelta(
            days=rng.randint(0, 20), minutes=rng.randint(0, 600)
        )
        registered = min(registered, cap - dt.timedelta(days=2))
        if cert["id"] in pending:
            changed = max(registered, cap - dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600)))
            reviews.append(
                {
                    "id": cert["id"],
                    "verification": "pending",
                    "verified_by": None,
                    "verified_at": None,
                    "created_at": registered,
                    "updated_at": changed,
                }
            )
            continue
        verified = min(registered + dt.timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 480)), cap)
        reviews.append(
            {
                "id": cert["id"],
                "verification": "verified",
                "verified_by": staff_user,
                "verified_at": verified,
                "created_at": registered,
                "updated_at": verified,
            }
        )
    return reviews
