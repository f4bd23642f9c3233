"""Deals recorded by one side and confirmed by the other, staff corrections, and declines: events only.

A deal is recorded in a unit of the conversation offer's product family (timber: m³ or board feet; latex: kg or t
of dry rubber, or wet kg with its DRC %), with a price per unit; the total is computed here. Its event details:

- ``quantity`` (number) and ``unit`` as entered, plus ``drc_percent`` for wet latex;
- ``unit_price`` (decimal string) per that unit, and ``price``: the deal's total value (decimal string, what the
  program's "deal value" adds up, per currency);
- ``currency`` (ISO 4217) and ``date`` (ISO date).

Deals recorded before 2026-12-06 carry ``price`` (the total) without ``unit_price``; readers derive it.
A unit price far from the offer's (compared per canonical unit, same currency) is a warning the user confirms, not
a refusal: typing the total where the unit price goes is the usual slip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.accounts.services import CurrentUser
from app.db import atomic
from app.i18n import format_number
from app.i18n import gettext as _
from app.messaging.claim_words import claim_values
from app.messaging.deal_words import (
    ALL_UNITS,
    CENT,
    PER_UNIT,
    UNIT_PRICE_DECIMALS,
    decimal_or_none,
    unit_money,
)
from app.messaging.services.core import (
    DEAL_STATES,
    DECLINE_REASONS,
    _conversation,
    _event,
    _party,
)
from app.messaging.services.deal_claims import check_claim, offer_claim_defaults
from app.messaging.tables import MatchEvent
from app.offers.tables import Offer
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import BOARD_FEET_PER_M3, CANONICAL_UNIT, CATEGORIES, CURRENCIES, UNITS, label

#: A unit price below half or above one and a half times the offer's (per canonical unit) is asked about (±50 %).
PRICE_WARNING_LOW = Decimal("0.5")
PRICE_WARNING_HIGH = Decimal("1.5")
MAX_TOTAL = Decimal("1e12")


# --- the terms a deal form starts from -------------------------------------------------------------------------
@dataclass(frozen=True)
class DealTerms:
    """What the conversation's offer says about units and price: the deal form's choices and defaults."""

    category: str | None
    units: dict[str, str]
    unit: str
    currency: str
    drc_percent: float | None
    #: The offer's price per ``price_unit`` (None when the offer names no price).
    price: Decimal | None = None
    price_unit: str = ""
    price_currency: str = ""
    unit_options: list[tuple[str, str]] = field(default_factory=list)
    #: The FSC claim fields the offer suggests (certificate, claim, product type, species, countries).
    claim: dict[str, Any] = field(default_factory=lambda: claim_values({}))


async def deal_terms(conversation: dict[str, Any]) -> DealTerms:
    """The units of the offer's product family, with the offer's unit, currency, DRC and price as defaults."""
    row = None
    if conversation.get("offer"):
        row = (
            await Offer.select(
                Offer.category,
                Offer.unit,
                Offer.drc_percent,
                Offer.price_amount,
                Offer.price_currency,
                Offer.price_per,
                Offer.claim,
                Offer.product_type,
                Offer.species,
                Offer.certificate.code.as_alias("certificate_code"),
                Offer.organization.country.as_alias("country"),
            )
            .where(Offer.id == conversation["offer"])
            .output(load_json=True)
            .first()
        )
    if row is None or row["category"] not in UNITS:  # a thread without an offer: every unit, no defaults
        return DealTerms(None, ALL_UNITS, "", "", None, unit_options=[(k, _(v)) for k, v in ALL_UNITS.items()])
    units = UNITS[row["category"]]
    price = Decimal(str(row["price_amount"])) if row["price_amount"] is not None else None
    return DealTerms(
        category=row["category"],
        units=units,
        unit=row["unit"] if row["unit"] in units else CANONICAL_UNIT[row["category"]],
        currency=row["price_currency"] or "",
        drc_percent=row["drc_percent"],
        price=price,
        price_unit=row["price_per"] or row["unit"] or "",
        price_currency=row["price_currency"] or "",
        unit_options=[(k, _(v)) for k, v in units.items()],
        claim=offer_claim_defaults(row),
    )


def canonical_per_unit(unit: str, drc_percent: float | None) -> Decimal | None:
    """How many canonical units (m³, kg DRC) one ``unit`` holds; None when unknown (wet latex without DRC)."""
    if unit in ("m3", "kg_drc"):
        return Decimal(1)
    if unit == "bf":
        return Decimal(1) / Decimal(str(BOARD_FEET_PER_M3))
    if unit == "t_drc":
        return Decimal(1000)
    if unit == "kg_latex" and drc_percent:
        return Decimal(str(drc_percent)) / 100
    return None


def price_ratio(
    terms: DealTerms, unit: str, drc_percent: float | None, unit_price: Decimal, currency: str
) -> Decimal | None:
    """The deal's unit price over the offer's, both per canonical unit; None when they cannot be compared (no
    offer price, another currency, an unknown DRC)."""
    if terms.price is None or not terms.price or currency != terms.price_currency:
        return None
    ours = canonical_per_unit(unit, drc_percent)
    theirs = canonical_per_unit(terms.price_unit, terms.drc_percent)
    if not ours or not theirs:
        return None
    return (unit_price / ours) / (terms.price / theirs)


def offer_price_words(terms: DealTerms) -> str:
    """The offer's price in the reader's words ('$350.00 per m³'), or '' when it names none."""
    if terms.price is None or not terms.price_currency:
        return ""
    return f"{unit_money(terms.price, terms.price_currency)} {label(PER_UNIT, terms.price_unit)}"


def price_warning(terms: DealTerms, unit: str, drc_percent: float | None, unit_price: Decimal, currency: str) -> str:
    """A plain-words warning when the unit price is far from the offer's ('' when it is close or not comparable)."""
    ratio = price_ratio(terms, unit, drc_percent, unit_price, currency)
    if ratio is None or PRICE_WARNING_LOW <= ratio <= PRICE_WARNING_HIGH:
        return ""
    offer_price = offer_price_words(terms)
    if ratio > 1:
        return _(
            "This price per unit is %(times)s times the offer's (%(offer_price)s). Check that you entered the price "
            "%(per_unit)s, not the total.",
            times=format_number(ratio, 1),
            offer_price=offer_price,
            per_unit=label(PER_UNIT, unit),
        )
    return _(
        "This price per unit is %(percent)s %% below the offer's (%(offer_price)s). Check the price and the unit.",
        percent=format_number((1 - ratio) * 100, 0),
        offer_price=offer_price,
    )


# --- reading and checking a deal -------------------------------------------------------------------------------
@dataclass
class DealCheck:
    """A deal form's values as checked: the details to store, the total and a price warning (if any)."""

    details: dict[str, Any]
    total: Decimal | None
    warning: str


def _unit_price(c: Checker) -> Decimal | None:
    """A price per unit: above zero, at most ``UNIT_PRICE_DECIMALS`` decimals (a board foot or a kilogram is often
    priced in fractions of a cent), kept with at least cents."""
    value = c.raw.get("unit_price")
    if value is None or (isinstance(value, str) and not value.strip()):
        c.fail("unit_price", _("This field is required."))
        return None
    amount = decimal_or_none(str(value).strip().replace(",", ".")) if not isinstance(value, bool) else None
    if amount is None or amount <= 0 or amount >= MAX_TOTAL:
        c.fail("unit_price", _("Enter the price of one unit, such as 350.00."))
        return None
    if -amount.as_tuple().exponent > UNIT_PRICE_DECIMALS:  # type: ignore[operator]
        c.fail("unit_price", _("Use at most %(n)s decimals.", n=UNIT_PRICE_DECIMALS))
        return None
    return amount.quantize(CENT) if amount.as_tuple().exponent > -2 else amount  # type: ignore[operator]


def _unit(c: Checker, terms: DealTerms) -> str:
    """The unit, which must belong to the offer's product family (a field error in plain words otherwise)."""
    raw = c.raw.get("unit")
    if isinstance(raw, str) and raw.strip() in ALL_UNITS and raw.strip() not in terms.units and terms.category:
        c.fail(
            "unit",
            _(
                "%(unit)s is not a unit for %(category)s. Choose one of: %(options)s.",
                unit=label(ALL_UNITS, raw.strip()),
                category=label(CATEGORIES, terms.category).lower(),
                options=", ".join(label(ALL_UNITS, u) for u in terms.units),
            ),
        )
        return ""
    return c.choice("unit", list(terms.units), required=True)


def check_deal(
    terms: DealTerms, raw: dict[str, Any], *, strict: bool = True, claim_defaults: dict[str, Any] | None = None
) -> DealCheck:
    """Check a deal form (quantity, unit, DRC % for wet latex, unit price, currency, date, and the FSC claim fields,
    which default to ``claim_defaults`` or the offer's) against the offer's terms; with ``strict`` every problem
    raises FieldErrors, including a price far from the offer's that the user has not confirmed (``accept_price``).
    Without it (the live preview) what can be computed is returned."""
    c = Checker(raw)
    quantity = c.number("quantity", required=True, positive=True)
    unit = _unit(c, terms)
    drc = None
    if unit == "kg_latex":
        drc = c.number("drc_percent", required=True, positive=True, maximum=100)
    unit_price = _unit_price(c)
    currency = c.choice("currency", CURRENCIES, required=True)
    date = c.date("date", required=True)
    accepted = c.boolean("accept_price")
    claim = check_claim(c, terms.claim if claim_defaults is None else claim_defaults, terms.category)
    total = None
    if quantity is not None and unit_price is not None:
        total = (Decimal(str(quantity)) * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        if total >= MAX_TOTAL or total <= 0:
            c.fail("unit_price", _("The total (quantity × price) must be above zero and below a trillion."))
            total = None
    warning = ""
    if unit and unit_price is not None and currency:
        warning = price_warning(terms, unit, drc, unit_price, currency)
    if strict:
        c.raise_if_errors()
        if warning and not accepted:
            raise FieldErrors({"unit_price": warning}, raw)
    details: dict[str, Any] = {"quantity": quantity, "unit": unit}
    if drc is not None:
        details["drc_percent"] = drc
    details.update(
        {
            "unit_price": str(unit_price) if unit_price is not None else None,
            "price": str(total) if total is not None else None,
            "currency": currency,
            "date": date.isoformat() if date else None,
            **claim,
        }
    )
    return DealCheck(details, total, warning)


async def preview_deal(user: CurrentUser, conversation_id: int, raw: dict[str, Any]) -> DealCheck:
    """What the deal form would record (the total and any price warning), for a party; nothing is written."""
    conversation, _side = await _party(user, conversation_id)
    return check_deal(await deal_terms(conversation), raw, strict=False)


# --- recording -------------------------------------------------------------------------------------------------
async def record_deal(user: CurrentUser, conversation_id: int, raw: dict[str, Any]) -> int:
    """Either party records a closed deal (quantity in a unit of the offer's family, price per unit, currency,
    date); the total is computed; the other side confirms it."""
    conversation, _side = await _party(user, conversation_id)
    details = check_deal(await deal_terms(conversation), raw).details
    async with atomic():
        return await _event(
            "deal_closed", user, conversation_id=conversation_id, match_id=conversation["match"], details=details
        )


async def _deal_event(event_id: int) -> dict[str, Any]:
    event = await MatchEvent.select().where(MatchEvent.id == event_id).output(load_json=True).first()
    if not event or event["state"] not in DEAL_STATES or event["conversation"] is None:
        raise NotFound()
    return event


def confirmed_terms(details: dict[str, Any]) -> dict[str, Any]:
    """What a confirmation vouches for: the quantity, unit, date and every claim field of the deal it confirms."""
    keep = ("quantity", "unit", "drc_percent", "date")
    return {**{k: details[k] for k in keep if k in details}, **claim_values(details)}


async def confirm_deal(user: CurrentUser, event_id: int) -> int:
    """The other party confirms a recorded (or staff-corrected) deal, its quantity and its claim fields (recorded as
    confirmed with the confirmation); the side that recorded it cannot."""
    event = await _deal_event(event_id)
    conversation, _side = await _party(user, event["conversation"])
    if event["actor_organization"] == user.organization_id:
        raise PermissionDenied()
    async with atomic():
        done = (
            await MatchEvent.select(MatchEvent.details)
            .where((MatchEvent.conversation == conversation["id"]) & (MatchEvent.state == "deal_confirmed"))
            .output(load_json=True)
        )
        if any(d["details"].get("event_id") == event_id for d in done):
            raise FieldErrors({"event": _("This deal is already confirmed.")})
        confirmation = await _event(
            "deal_confirmed",
            user,
            conversation_id=conversation["id"],
            match_id=conversation["match"],
            details={"event_id": event_id, "confirmed": confirmed_terms(event["details"])},
        )
        return confirmation


async def correct_deal(user: CurrentUser, event_id: int, raw: dict[str, Any]) -> int:
    """Staff append a corrected version of a deal; the original event stays as it was."""
    if not user.is_staff:
        raise PermissionDenied()
    event = await _deal_event(event_id)
    conversation = await _conversation(event["conversation"])
    # The claim fields a correction leaves out stay as the corrected deal recorded them.
    details = check_deal(await deal_terms(conversation), raw, claim_defaults=claim_values(event["details"])).details
    c = Checker(raw)
    note = c.text("note", max_len=1000)
    c.raise_if_errors()
    async with atomic():
        return await _event(
            "corrected",
            user,
            conversation_id=conversation["id"],
            match_id=conversation["match"],
            details={**details, "corrects": event_id, "note": note},
        )


async def decline(user: CurrentUser, conversation_id: int, raw: dict[str, Any]) -> int:
    """Either party ends the conversation without a deal: a reason from the list and optional free text."""
    conversation, _side = await _party(user, conversation_id)
    c = Checker(raw)
    reason = c.choice("reason", list(DECLINE_REASONS), required=True)
    text = c.text("text", max_len=1000)
    c.raise_if_errors()
    async with atomic():
        return await _event(
            "declined",
            user,
            conversation_id=conversation_id,
            match_id=conversation["match"],
            details={"reason": reason, "text": text},
        )
